// The JSON Schema and the CRD are generated from schema.ts and checked in: they must be
// current, the CRD must be structural, and both (run by ajv, an independent validator)
// must accept and reject the same documents as the agent's loader.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import Ajv, { type ValidateFunction } from "ajv";
import { parse, stringify } from "yaml";

import { loadPolicyText } from "../../../src/policy/loadPolicies";
import { CRD_PATH, JSON_SCHEMA_PATH, renderCrd, renderJsonSchema } from "../../../src/policy/schemaFiles";

const ROOT = path.resolve(__dirname, "..", "..", "..", "..");
const HEX = "a".repeat(64);

type Json = Record<string, unknown>;

function doc(spec: unknown): Json {
  return { apiVersion: "driftguard.dev/v1", kind: "DriftPolicy", metadata: { name: "sample" }, spec };
}

const FULL = {
  priority: 10,
  mode: "audit",
  enforceAfter: "2026-03-01T08:00:00Z",
  selector: {
    namespaces: ["shop", "prod-*"],
    matchLabels: { app: "web", "example.com/tier": "" },
    matchExpressions: [
      { key: "a", operator: "In", values: ["x"] },
      { key: "b", operator: "DoesNotExist" },
    ],
    images: ["nginx:1.27", `sha256:${HEX}`, `registry.example.com/x@sha256:${HEX}`],
    containers: ["web"],
  },
  allow: {
    paths: [{ path: "/tmp/*", reason: "r" }],
    digests: [
      { sha256: HEX, reason: "r" },
      { sha256: `sha256:${HEX}`, reason: "r" },
    ],
    parents: [{ path: "/usr/bin/make", reason: "r" }],
    volumes: [
      { kind: "configMap", reason: "r" },
      { path: "/scripts", reason: "r" },
    ],
  },
  deny: [{ path: "/usr/bin/nc" }, { path: "/usr/bin/curl", reason: "r" }],
};

const allow = (entry: Json, list = "paths") => ({ mode: "audit", allow: { [list]: [entry] } });

/** [name, spec, accepted by all three]. */
const SAMPLES: [string, unknown, boolean][] = [
  ["minimal", { mode: "audit" }, true],
  ["every field", FULL, true],
  ["a volume by path", allow({ path: "/x", reason: "r" }, "volumes"), true],
  ["duration", { mode: "audit", enforceAfter: "1h30m" }, true],
  ["no mode", { priority: 1 }, false],
  ["mode not in the enum", { mode: "block" }, false],
  ["priority as a string", { mode: "audit", priority: "10" }, false],
  ["priority not an integer", { mode: "audit", priority: 1.5 }, false],
  ["priority out of range", { mode: "audit", priority: 2000000 }, false],
  ["unknown field in spec", { mode: "audit", extra: 1 }, false],
  ["unknown field in an entry", allow({ path: "/x", reason: "r", why: "r" }), false],
  ["allow without reason", allow({ path: "/x" }), false],
  ["empty reason", allow({ path: "/x", reason: "" }), false],
  ["relative path", allow({ path: "x", reason: "r" }), false],
  ["digest in upper case", allow({ sha256: HEX.toUpperCase(), reason: "r" }, "digests"), false],
  ["volume with kind and path", allow({ kind: "secret", path: "/x", reason: "r" }, "volumes"), false],
  ["volume with neither", allow({ reason: "r" }, "volumes"), false],
  ["unknown volume kind", allow({ kind: "nfs", reason: "r" }, "volumes"), false],
  ["namespaces not a list", { mode: "audit", selector: { namespaces: "shop" } }, false],
  ["namespace in upper case", { mode: "audit", selector: { namespaces: ["Shop"] } }, false],
  ["label value with a space", { mode: "audit", selector: { matchLabels: { app: "a b" } } }, false],
  ["unknown operator", { mode: "audit", selector: { matchExpressions: [{ key: "a", operator: "Has" }] } }, false],
  ["image with a space", { mode: "audit", selector: { images: ["a b"] } }, false],
  ["enforceAfter in words", { mode: "audit", enforceAfter: "soon" }, false],
  ["too many namespaces", { mode: "audit", selector: { namespaces: Array(257).fill("a") } }, false],
  ["spec not a mapping", [], false],
];

/** What the schemas cannot say, only the loader checks: both schemas accept these. */
const LOADER_ONLY: [string, unknown][] = [
  ["In without values", { mode: "audit", selector: { matchExpressions: [{ key: "a", operator: "In" }] } }],
  [
    "Exists with values",
    { mode: "audit", selector: { matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] } },
  ],
  ["a day that does not exist", { mode: "audit", enforceAfter: "2026-02-30" }],
  ["a label key that is not one", { mode: "audit", selector: { matchLabels: { "-a": "x" } } }],
  ["a digest too short in an image", { mode: "audit", selector: { images: ["nginx@sha256:abc"] } }],
];

/** The API server with strict field validation (kubectl's default) rejects unknown fields. */
function strictFields(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strictFields);
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Json = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, strictFields(v)]));
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

/** Rules of a structural schema that this generator could break. */
function structuralProblems(schema: Json, where: string, out: string[] = []): string[] {
  if (typeof schema.type !== "string") out.push(`${where}: no type`);
  if (schema.additionalProperties === false) out.push(`${where}: additionalProperties false`);
  if (schema.properties && schema.additionalProperties) out.push(`${where}: properties and additionalProperties`);
  for (const branch of (schema.oneOf as Json[] | undefined) ?? []) {
    if (Object.keys(branch).some((k) => k !== "required")) out.push(`${where}.oneOf: more than required`);
  }
  for (const [k, v] of Object.entries((schema.properties as Record<string, Json>) ?? {}))
    structuralProblems(v, `${where}.${k}`, out);
  if (schema.items) structuralProblems(schema.items as Json, `${where}[]`, out);
  if (typeof schema.additionalProperties === "object")
    structuralProblems(schema.additionalProperties as Json, `${where}{}`, out);
  return out;
}

describe("policy JSON Schema and CRD", () => {
  let jsonSchema: ValidateFunction;
  let crdSchema: ValidateFunction;
  let crd: Json;

  before(() => {
    const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
    jsonSchema = ajv.compile(JSON.parse(fs.readFileSync(path.join(ROOT, JSON_SCHEMA_PATH), "utf8")));
    crd = parse(fs.readFileSync(path.join(ROOT, CRD_PATH), "utf8")) as Json;
    const version = (crd.spec as { versions: { schema: { openAPIV3Schema: Json } }[] }).versions[0];
    crdSchema = new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(
      strictFields(version.schema.openAPIV3Schema) as Json,
    );
  });

  it("are current (regenerate: node dist/src/policy/schemaFiles.js --write)", async () => {
    assert.equal(fs.readFileSync(path.join(ROOT, JSON_SCHEMA_PATH), "utf8"), await renderJsonSchema());
    assert.equal(fs.readFileSync(path.join(ROOT, CRD_PATH), "utf8"), renderCrd());
  });

  it("the CRD's schema is structural", () => {
    const version = (crd.spec as { versions: { schema: { openAPIV3Schema: Json } }[] }).versions[0];
    assert.deepEqual(structuralProblems(version.schema.openAPIV3Schema, "openAPIV3Schema"), []);
  });

  for (const [name, spec, accepted] of SAMPLES) {
    it(`${accepted ? "all accept" : "all reject"}: ${name}`, () => {
      const sample = doc(spec);
      const loaded = loadPolicyText(stringify(sample), "sample.yaml");
      const loader = loaded.policies.length === 1 && loaded.issues.length === 0;
      const verdicts = { jsonSchema: jsonSchema(sample), crd: crdSchema(sample), loader };
      assert.deepEqual(
        verdicts,
        { jsonSchema: accepted, crd: accepted, loader: accepted },
        JSON.stringify(loaded.issues),
      );
    });
  }

  for (const [name, spec] of LOADER_ONLY) {
    it(`only the loader rejects: ${name}`, () => {
      const sample = doc(spec);
      const loaded = loadPolicyText(stringify(sample), "sample.yaml");
      assert.deepEqual(
        { jsonSchema: jsonSchema(sample), crd: crdSchema(sample), loader: loaded.policies.length === 1 },
        {
          jsonSchema: true,
          crd: true,
          loader: false,
        },
      );
    });
  }

  it("the JSON Schema also requires the file's apiVersion, kind and name", () => {
    assert.equal(jsonSchema({ ...doc({ mode: "audit" }), apiVersion: "v1" }), false);
    assert.equal(jsonSchema({ ...doc({ mode: "audit" }), metadata: {} }), false);
    assert.equal(jsonSchema({ ...doc({ mode: "audit" }), metadata: { name: "x", labels: { a: "b" } } }), true);
  });
});
