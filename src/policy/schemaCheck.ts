// Checks a plain value against schema.ts: the same rules the generated JSON Schema and CRD
// state, but reporting every problem with its field path, and unknown fields as warnings
// (a newer policy file stays loadable by an older agent).
import type { ArraySchema, ObjectSchema, Schema, StringSchema } from "./schema";

export interface SchemaFinding {
  code: "missing_field" | "wrong_type" | "invalid_value" | "unknown_field";
  path: (string | number)[];
  /** The finding is about the key at path (an unknown field), not its value. */
  atKey: boolean;
  message: string;
}

const patterns = new Map<string, RegExp>();

function compiled(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (!re) patterns.set(pattern, (re = new RegExp(pattern, "u")));
  return re;
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** A short description of a value for messages: its type, and the value if small. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (isMapping(value)) return "a mapping";
  if (typeof value === "string") return `"${value.length > 60 ? value.slice(0, 57) + "..." : value}"`;
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${String(value)}`;
  return typeof value;
}

export function checkSchema(
  schema: Schema,
  value: unknown,
  path: (string | number)[] = [],
  out: SchemaFinding[] = [],
): SchemaFinding[] {
  const wrongType = (expected: string) =>
    out.push({ code: "wrong_type", path, atKey: false, message: `must be ${expected} (got ${describe(value)})` });
  switch (schema.type) {
    case "object":
      if (!isMapping(value)) wrongType("a mapping");
      else checkObject(schema, value, path, out);
      break;
    case "array":
      if (!Array.isArray(value)) wrongType("a list");
      else checkArray(schema, value, path, out);
      break;
    case "string":
      if (typeof value !== "string") wrongType("a string");
      else checkString(schema, value, path, out);
      break;
    case "boolean":
      if (typeof value !== "boolean") wrongType("true or false");
      break;
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) wrongType("an integer");
      else if (value < schema.minimum || value > schema.maximum) {
        out.push({
          code: "invalid_value",
          path,
          atKey: false,
          message: `must be between ${schema.minimum} and ${schema.maximum} (got ${value})`,
        });
      }
      break;
  }
  return out;
}

function checkObject(
  schema: ObjectSchema,
  value: Record<string, unknown>,
  path: (string | number)[],
  out: SchemaFinding[],
) {
  for (const field of schema.required ?? []) {
    if (!(field in value)) out.push({ code: "missing_field", path, atKey: false, message: `${field} is required` });
  }
  if (schema.exactlyOneOf) {
    const present = schema.exactlyOneOf.filter((f) => f in value);
    if (present.length !== 1) {
      out.push({
        code: "invalid_value",
        path,
        atKey: false,
        message: `needs exactly one of ${schema.exactlyOneOf.join(", ")} (got ${present.length === 0 ? "none" : present.join(" and ")})`,
      });
    }
  }
  for (const [key, child] of Object.entries(value)) {
    const childSchema = schema.properties?.[key] ?? schema.additionalProperties;
    if (childSchema) {
      checkSchema(childSchema, child, [...path, key], out);
    } else if (!schema.openProperties) {
      const known = Object.keys(schema.properties ?? {});
      const guess = closest(key, known);
      out.push({
        code: "unknown_field",
        path: [...path, key],
        atKey: true,
        message: `unknown field "${key}" is ignored${guess ? ` (did you mean ${guess}?)` : ""}; known: ${known.join(", ")}`,
      });
    }
  }
}

function checkArray(schema: ArraySchema, value: unknown[], path: (string | number)[], out: SchemaFinding[]) {
  if (value.length > schema.maxItems) {
    out.push({
      code: "invalid_value",
      path,
      atKey: false,
      message: `has ${value.length} entries, at most ${schema.maxItems}`,
    });
    return;
  }
  value.forEach((item, i) => checkSchema(schema.items, item, [...path, i], out));
}

function checkString(schema: StringSchema, value: string, path: (string | number)[], out: SchemaFinding[]) {
  const invalid = (message: string) => out.push({ code: "invalid_value", path, atKey: false, message });
  if (schema.enum && !schema.enum.includes(value)) {
    invalid(`must be one of ${schema.enum.join(", ")} (got ${describe(value)})`);
  } else if (value.length < (schema.minLength ?? 0)) {
    invalid("must not be empty");
  } else if (value.length > schema.maxLength) {
    invalid(`is ${value.length} characters long, at most ${schema.maxLength}`);
  } else if (schema.pattern && !compiled(schema.pattern).test(value)) {
    invalid(`must be ${schema.patternHint ?? `matching ${schema.pattern}`} (got ${describe(value)})`);
  }
}

/** The known name nearest to a misspelt one (edit distance ≤ 2), for "did you mean". */
export function closest(word: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
