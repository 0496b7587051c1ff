// The source tree as a graph, for the structure checks: every file's line count, the
// relative imports of the TypeScript in src/ and the "..." includes of native/.
import * as fs from "node:fs";
import * as path from "node:path";

export function filesUnder(dir: string, keep: (file: string) => boolean = () => true): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full, keep));
    else if (entry.isFile() && keep(full)) out.push(full);
  }
  return out.sort();
}

export function lineCount(file: string): number {
  const text = fs.readFileSync(file, "utf8");
  return text.length === 0 ? 0 : text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

const TS_IMPORT =
  /(?:^|\s)(?:import|export)\s[^;]*?from\s*"([^"]+)"|import\s*\(\s*"([^"]+)"\s*\)|require\(\s*"([^"]+)"\s*\)/g;

/** file → the files it imports (relative specifiers that resolve to a .ts file; type imports count). */
export function typescriptImports(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = fs.readFileSync(file, "utf8");
    const targets: string[] = [];
    for (const m of text.matchAll(TS_IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec.startsWith(".")) continue;
      const base = path.resolve(path.dirname(file), spec);
      const found = [base, `${base}.ts`, base.replace(/\.js$/, ".ts"), path.join(base, "index.ts")].find((c) =>
        known.has(c),
      );
      if (found) targets.push(found);
    }
    graph.set(file, targets);
  }
  return graph;
}

/** file → the files it #includes with quotes, looked up beside it and under includeRoot. */
export function nativeIncludes(files: string[], includeRoot: string): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets: string[] = [];
    for (const m of fs.readFileSync(file, "utf8").matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
      const found = [path.resolve(path.dirname(file), m[1]), path.resolve(includeRoot, m[1])].find((c) => known.has(c));
      if (found) targets.push(found); // generated headers (sensor.skel.h, vmlinux.h) are not in the tree
    }
    graph.set(file, targets);
  }
  return graph;
}

/** Every cycle as a path a → … → a, one per strongly connected component (Tarjan). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(cyclePath(graph, new Set(component), v));
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** A shortest path from start back to start inside one component. */
function cyclePath(graph: Map<string, string[]>, component: Set<string>, start: string): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const chain: string[] = [];
        for (let u = v; u !== start; u = previous.get(u)!) chain.unshift(u);
        return [start, ...chain, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}
