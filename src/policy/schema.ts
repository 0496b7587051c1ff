// The one description of the DriftPolicy format. The loader validates with it
// (schemaCheck.ts), and schemaFiles.ts generates from it the JSON Schema for editors
// (src/policy/driftpolicy.schema.json) and the CRD (daemonset/crds/driftpolicy.yaml).
// Patterns must be valid both as ECMAScript and as RE2 (the API server's regexp engine).
import { POLICY_MODES } from "../domain/verdict";
import { postureAllow, postureSettings } from "./postureSchema";
import { API_VERSION, CAPTURE_MAX_BYTES_LIMIT, KIND, LABEL_OPERATORS, VOLUME_KINDS } from "./types";

interface Described {
  description?: string;
}

export interface ObjectSchema extends Described {
  type: "object";
  properties?: Record<string, Schema>;
  required?: string[];
  /** Schema of every value of a map with arbitrary keys (matchLabels). */
  additionalProperties?: Schema;
  /** Unknown fields are expected and ignored (Kubernetes metadata), not reported. */
  openProperties?: boolean;
  /** Exactly one of these fields must be present. */
  exactlyOneOf?: string[];
}

export interface ArraySchema extends Described {
  type: "array";
  items: Schema;
  maxItems: number;
}

export interface StringSchema extends Described {
  type: "string";
  enum?: readonly string[];
  pattern?: string;
  /** Said instead of the pattern when a value does not match it. */
  patternHint?: string;
  minLength?: number;
  maxLength: number;
}

export interface IntegerSchema extends Described {
  type: "integer";
  minimum: number;
  maximum: number;
}

export interface BooleanSchema extends Described {
  type: "boolean";
}

export type Schema = ObjectSchema | ArraySchema | StringSchema | IntegerSchema | BooleanSchema;

const DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
/** A label key: optional DNS subdomain prefix and "/", then a name. */
export const LABEL_KEY_PATTERN = `^(${DNS_LABEL}(\\.${DNS_LABEL})*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`;

const reason: StringSchema = {
  type: "string",
  minLength: 1,
  maxLength: 1024,
  description: "Why this exception exists; shown by `driftguard policy explain`.",
};

const DATE_PATTERN =
  "^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2}))?$";

const expires: StringSchema = {
  type: "string",
  pattern: DATE_PATTERN,
  patternHint: "a date like 2026-03-01 or a time like 2026-03-01T08:00:00Z",
  maxLength: 64,
  description:
    "When this exception stops applying (UTC unless the time has an offset), for break-glass debugging: the agent drops it then and logs `exception expired`.",
};

export function list(items: Schema, description: string, maxItems = 1024): ArraySchema {
  return { type: "array", items, maxItems, description };
}

function absolutePath(description: string): StringSchema {
  return {
    type: "string",
    pattern: "^/",
    patternHint: "an absolute path inside the container, starting with /",
    maxLength: 4096,
    description,
  };
}

const nameGlob = (what: string): StringSchema => ({
  type: "string",
  pattern: "^[-a-z0-9*?]+$",
  patternHint: `a ${what} name or a glob of one (lower-case letters, digits, -, * and ?)`,
  maxLength: 63,
});

const labelValue: StringSchema = {
  type: "string",
  pattern: "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$",
  patternHint: "a label value (letters, digits, -, _ and ., starting and ending with a letter or digit)",
  maxLength: 63,
};

const selector: ObjectSchema = {
  type: "object",
  description: "Which containers the policy applies to. Every field given must match; an empty selector matches all.",
  properties: {
    namespaces: list(nameGlob("namespace"), "Kubernetes namespaces: names or globs (* and ?).", 256),
    matchLabels: {
      type: "object",
      additionalProperties: labelValue,
      description: "Pod labels that must all be present with these values.",
    },
    matchExpressions: list(
      {
        type: "object",
        required: ["key", "operator"],
        properties: {
          key: {
            type: "string",
            pattern: LABEL_KEY_PATTERN,
            patternHint: "a label key like app or example.com/tier",
            maxLength: 317,
          },
          operator: { type: "string", enum: LABEL_OPERATORS, maxLength: 16 },
          values: list(labelValue, "For In and NotIn: the values; empty for Exists and DoesNotExist.", 256),
        },
      },
      "Pod label requirements, as in a Kubernetes label selector.",
      64,
    ),
    images: list(
      {
        type: "string",
        pattern: "^[^\\s]+$",
        patternHint: "an image reference glob, sha256:<digest> or repo@sha256:<digest>, without spaces",
        minLength: 1,
        maxLength: 512,
      },
      "Image references: globs (* within a path component, ** across), sha256:<hex> digests, repo@sha256:<hex>.",
      256,
    ),
    containers: list(nameGlob("container"), "Container names from the pod spec, or globs.", 256),
  },
};

const allow: ObjectSchema = {
  type: "object",
  description: "Drift and posture that stay allowed, each entry with a reason.",
  properties: {
    paths: list(
      {
        type: "object",
        required: ["path", "reason"],
        properties: {
          path: absolutePath("fnmatch(3) glob of paths inside the container (* stops at /)."),
          reason,
          expires,
        },
      },
      "New or changed files at these paths may run.",
    ),
    digests: list(
      {
        type: "object",
        required: ["sha256", "reason"],
        properties: {
          sha256: {
            type: "string",
            pattern: "^(sha256:)?[a-f0-9]{64}$",
            patternHint: "64 lower-case hex digits, optionally prefixed with sha256:",
            maxLength: 71,
          },
          reason,
          expires,
        },
      },
      "Files with this content may run wherever they are.",
    ),
    parents: list(
      {
        type: "object",
        required: ["path", "reason"],
        properties: {
          path: absolutePath(
            "Image program (glob) allowed to run drift: the program of the process calling execve (a fork of java runs java), proven to be the image's file at that path; never a parent.",
          ),
          reason,
          expires,
        },
      },
      "Programs allowed to create and run new binaries, e.g. a JIT or a build tool.",
    ),
    volumes: list(
      {
        type: "object",
        required: ["reason"],
        exactlyOneOf: ["kind", "path"],
        properties: {
          kind: { type: "string", enum: VOLUME_KINDS, maxLength: 32, description: "Every volume of this kind." },
          path: absolutePath("A volume's mount path inside the container; everything under it."),
          reason,
          expires,
        },
      },
      "Volumes where executing is expected, by kind or by mount path.",
    ),
    posture: postureAllow(reason),
  },
};

export const SPEC_SCHEMA: ObjectSchema = {
  type: "object",
  required: ["mode"],
  properties: {
    priority: {
      type: "integer",
      minimum: -1000000,
      maximum: 1000000,
      description: "The matching policy with the highest priority applies; ties go to the first name. Default 0.",
    },
    mode: {
      type: "string",
      enum: POLICY_MODES,
      maxLength: 16,
      description: "enforce blocks drift, audit records it, disabled does neither.",
    },
    enforceAfter: {
      type: "string",
      pattern:
        "^([0-9]+[smhdw])+$|^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2}))?$",
      patternHint: "a duration like 14d or 12h30m, or a date like 2026-03-01 or 2026-03-01T08:00:00Z",
      maxLength: 64,
      description:
        "For mode audit: enforce from this date (UTC), or this long after the policy first applied to a container.",
    },
    selector,
    posture: postureSettings,
    capture: {
      type: "object",
      required: ["maxBytes"],
      description:
        "Capture the file of each blocked or audited drift exec as a sample for review (off when absent): files up to maxBytes are read from the exec's own open file after the verdict, stored once per SHA-256 and downloadable by admins only.",
      properties: {
        maxBytes: {
          type: "integer",
          minimum: 1,
          maximum: CAPTURE_MAX_BYTES_LIMIT,
          description: `Largest file captured, in bytes (at most ${CAPTURE_MAX_BYTES_LIMIT}, 64 MiB); larger files are reported as too large.`,
        },
      },
    },
    allow,
    deny: list(
      {
        type: "object",
        required: ["path"],
        properties: {
          path: absolutePath("Glob of the real file executed, after symlinks (a busybox applet is /bin/busybox)."),
          reason: { ...reason, description: "Why it is denied." },
        },
      },
      "Binaries blocked even when they are in the image.",
    ),
  },
};

export const DOCUMENT_SCHEMA: ObjectSchema = {
  type: "object",
  required: ["apiVersion", "kind", "metadata", "spec"],
  properties: {
    apiVersion: { type: "string", enum: [API_VERSION], maxLength: 64 },
    kind: { type: "string", enum: [KIND], maxLength: 64 },
    metadata: {
      type: "object",
      openProperties: true,
      required: ["name"],
      properties: {
        name: {
          type: "string",
          pattern: "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
          patternHint: "lower-case letters, digits, - and ., starting and ending with a letter or digit",
          maxLength: 253,
        },
      },
    },
    spec: SPEC_SCHEMA,
  },
};
