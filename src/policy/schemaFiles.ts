// Generates, from schema.ts, the JSON Schema for editors and the CRD for clusters. Both
// are checked in; a test fails when they are not current. Regenerate with:
//   npx tsc -p . && node dist/src/policy/schemaFiles.js --write
import * as fs from "node:fs";
import * as path from "node:path";

import { stringify } from "yaml";

import { DOCUMENT_SCHEMA, SPEC_SCHEMA, type Schema } from "./schema";
import { API_VERSION, KIND } from "./types";
import { packageRoot } from "../util/packageRoot";

export const JSON_SCHEMA_PATH = path.join("src", "policy", "driftpolicy.schema.json");
export const CRD_PATH = path.join("daemonset", "crds", "driftpolicy.yaml");
const GROUP = API_VERSION.split("/")[0];
const VERSION = API_VERSION.split("/")[1];

type Json = Record<string, unknown>;

/**
 * One schema node in JSON Schema terms. For the CRD (a structural schema), unknown fields
 * are not declared false: the API server prunes them, or rejects them under strict field
 * validation (kubectl's default), as the loader warns about them.
 */
function convert(schema: Schema, crd: boolean): Json {
  const out: Json = { type: schema.type };
  if (schema.description) out.description = schema.description;
  switch (schema.type) {
    case "object":
      if (schema.properties) {
        out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, convert(v, crd)]));
      }
      if (schema.required?.length) out.required = schema.required;
      if (schema.additionalProperties) out.additionalProperties = convert(schema.additionalProperties, crd);
      else if (!crd) out.additionalProperties = schema.openProperties ?? false;
      if (schema.exactlyOneOf) out.oneOf = schema.exactlyOneOf.map((field) => ({ required: [field] }));
      break;
    case "array":
      out.items = convert(schema.items, crd);
      out.maxItems = schema.maxItems;
      break;
    case "string":
      if (schema.enum) out.enum = schema.enum;
      if (schema.pattern) out.pattern = schema.pattern;
      if (schema.minLength !== undefined) out.minLength = schema.minLength;
      out.maxLength = schema.maxLength;
      break;
    case "integer":
      out.minimum = schema.minimum;
      out.maximum = schema.maximum;
      break;
  }
  return out;
}

export function jsonSchema(): Json {
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: `https://${GROUP}/schemas/driftpolicy-${VERSION}.json`,
    title: KIND,
    description: "A driftguard drift policy. Generated from src/policy/schema.ts: do not edit.",
    ...convert(DOCUMENT_SCHEMA, false),
  };
}

export function crd(): Json {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `driftpolicies.${GROUP}` },
    spec: {
      group: GROUP,
      scope: "Cluster",
      names: {
        kind: KIND,
        listKind: `${KIND}List`,
        plural: "driftpolicies",
        singular: "driftpolicy",
        shortNames: ["dpol"],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          additionalPrinterColumns: [
            { name: "Mode", type: "string", jsonPath: ".spec.mode" },
            { name: "Priority", type: "integer", jsonPath: ".spec.priority" },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
          schema: {
            openAPIV3Schema: {
              type: "object",
              description: `${KIND}: which containers (selector), which mode, which exceptions.`,
              required: ["spec"],
              properties: {
                apiVersion: { type: "string" },
                kind: { type: "string" },
                metadata: { type: "object" },
                spec: convert(SPEC_SCHEMA, true),
              },
            },
          },
        },
      ],
    },
  };
}

/** Formatted by prettier (a dev dependency: generating is a development task), as `npm run lint` checks src/. */
export async function renderJsonSchema(): Promise<string> {
  const prettier = await import("prettier");
  return prettier.format(JSON.stringify(jsonSchema()), { parser: "json", printWidth: 120 });
}

export function renderCrd(): string {
  return (
    "# Generated from src/policy/schema.ts by src/policy/schemaFiles.ts: do not edit.\n" +
    stringify(crd(), { lineWidth: 0 })
  );
}

async function main(): Promise<void> {
  const root = packageRoot();
  const write = process.argv.includes("--write");
  let stale = 0;
  for (const [file, text] of [
    [JSON_SCHEMA_PATH, await renderJsonSchema()],
    [CRD_PATH, renderCrd()],
  ] as const) {
    const full = path.join(root, file);
    const current = fs.existsSync(full) ? fs.readFileSync(full, "utf8") : "";
    if (current === text) continue;
    stale++;
    if (write) {
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, text);
    }
    process.stdout.write(`${write ? "wrote" : "stale"} ${file}\n`);
  }
  process.exitCode = stale > 0 && !write ? 1 : 0;
}

if (require.main === module) void main();
