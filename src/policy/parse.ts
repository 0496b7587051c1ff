// YAML text → documents, each a plain value plus a way back from a field path to its line
// and column. Parsing never throws: YAML errors become issues with their position.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, Parser, type Document } from "yaml";

import type { PolicyIssue } from "./issues";
import { errorMessage } from "../util/errorMessage";

export interface Position {
  line: number;
  column: number;
}

export interface ParsedDocument {
  /** 0-based index of the document in its file. */
  index: number;
  value: unknown;
  /** Where the document's content starts. */
  start: Position;
  /**
   * Position of the node at path (of its key when key is set), or of the deepest
   * ancestor that exists (a missing field is reported where its parent is).
   */
  locate(path: readonly (string | number)[], key?: boolean): Position;
}

export interface ParsedFile {
  documents: ParsedDocument[];
  issues: PolicyIssue[];
}

// Aliases can expand a small file into a huge value ("billion laughs"); policies need few.
const MAX_ALIAS_COUNT = 100;
// yaml composes documents recursively: deep nesting overflows the stack, and after a stack
// overflow inside a regular expression V8 (Node 20) aborts the process at the next regexp
// compile ("RegExpCompiler Allocation failed"). So nesting and alias chains are bounded
// on the concrete syntax tree, which yaml builds without recursion, before composing.
const MAX_NESTING = 64;
const MAX_ALIASES = 256;

export function parsePolicyYaml(text: string, file: string): ParsedFile {
  const lines = new LineCounter();
  const issues: PolicyIssue[] = [];
  const issue = (code: PolicyIssue["code"], severity: PolicyIssue["severity"], at: Position, message: string) =>
    issues.push({ severity, code, file, line: at.line, column: at.column, field: "", message });
  const at = (offset: number): Position => {
    const pos = lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  const tooDeep = nestingProblem(text);
  if (tooDeep) {
    const pos = tooDeep.lines.linePos(tooDeep.offset);
    issue("yaml_syntax", "error", { line: pos.line, column: pos.col }, tooDeep.message);
    return { documents: [], issues };
  }
  let docs: Document.Parsed[];
  try {
    const parsed = parseAllDocuments(text, {
      lineCounter: lines,
      prettyErrors: false,
      uniqueKeys: true,
      schema: "core",
      merge: false,
      logLevel: "silent",
    });
    docs = Array.isArray(parsed) ? parsed : [];
  } catch (error) {
    // The parser recurses on nesting depth: absurd nesting ends here, not in a crash.
    issue("yaml_syntax", "error", { line: 0, column: 0 }, `YAML not parsable: ${errorMessage(error)}`);
    return { documents: [], issues };
  }
  const documents: ParsedDocument[] = [];
  docs.forEach((doc, index) => {
    for (const warning of doc.warnings)
      issue("yaml_warning", "warning", at(warning.pos[0]), firstLine(warning.message));
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        const code = error.code === "DUPLICATE_KEY" ? "duplicate_key" : "yaml_syntax";
        issue(code, "error", at(error.pos[0]), firstLine(error.message));
      }
      return;
    }
    if (doc.contents === null) return; // an empty document between separators
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      issue("yaml_syntax", "error", at(doc.contents.range[0]), firstLine(errorMessage(error)));
      return;
    }
    documents.push({
      index,
      value,
      start: at(doc.contents.range[0]),
      locate: (path, key) => at(offsetOf(doc, path, key ?? false)),
    });
  });
  return { documents, issues };
}

interface CstNode {
  type?: string;
  offset?: number;
  key?: unknown;
  value?: unknown;
  items?: { key?: unknown; value?: unknown }[];
}

/** Walks the concrete syntax tree without recursion; says where it nests too deep. */
function nestingProblem(text: string): { offset: number; message: string; lines: LineCounter } | undefined {
  const lines = new LineCounter();
  const stack: [CstNode, number][] = [];
  for (const token of new Parser(lines.addNewLine).parse(text)) stack.push([token as CstNode, 0]);
  let aliases = 0;
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node.type === "alias" && ++aliases > MAX_ALIASES) {
      return { offset: node.offset ?? 0, message: `more than ${MAX_ALIASES} aliases`, lines };
    }
    if (depth > MAX_NESTING) {
      return { offset: node.offset ?? 0, message: `nested deeper than ${MAX_NESTING} levels`, lines };
    }
    const children = [node.key, node.value, ...(node.items ?? []).flatMap((item) => [item.key, item.value])];
    for (const child of children) {
      if (typeof child === "object" && child !== null) stack.push([child as CstNode, depth + (node.items ? 1 : 0)]);
    }
  }
  return undefined;
}

function firstLine(message: string): string {
  return message.split("\n")[0];
}

function offsetOf(doc: Document.Parsed, path: readonly (string | number)[], key: boolean): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = node.resolve(doc);
    const segment = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(segment));
      if (!pair) break;
      const keyStart = rangeStart(pair.key);
      if (key && i === path.length - 1) return keyStart ?? offset;
      node = pair.value;
      offset = rangeStart(node) ?? keyStart ?? offset;
    } else if (isSeq(node) && typeof segment === "number" && segment < node.items.length) {
      node = node.items[segment];
      offset = rangeStart(node) ?? offset;
    } else {
      break;
    }
  }
  return offset;
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : undefined;
}
