// Offline validation of rendered objects against the Kubernetes API's own OpenAPI schemas,
// as compiled by the kubernetes-models package (Kubernetes 1.34). Nothing is fetched.
//
// The compiled validators check types, required fields, enums and formats (quantities,
// int-or-string), but accept unknown fields, which `kubectl apply` rejects (strict field
// validation) or, worse, drops silently: a misspelt readOnlyRootFilesystem would turn a
// protection off. So the object is validated through a Proxy that records every field the
// validator looks at; a field it never read is not in the schema.

/** The schema of each kind this install may contain; a new kind must be added here. */
const SCHEMAS: Record<string, string> = {
  "v1/Namespace": "IoK8sApiCoreV1Namespace",
  "v1/ServiceAccount": "IoK8sApiCoreV1ServiceAccount",
  "v1/ConfigMap": "IoK8sApiCoreV1ConfigMap",
  "v1/Secret": "IoK8sApiCoreV1Secret",
  "v1/Service": "IoK8sApiCoreV1Service",
  "v1/PersistentVolumeClaim": "IoK8sApiCoreV1PersistentVolumeClaim",
  "apps/v1/DaemonSet": "IoK8sApiAppsV1DaemonSet",
  "apps/v1/Deployment": "IoK8sApiAppsV1Deployment",
  "networking.k8s.io/v1/NetworkPolicy": "IoK8sApiNetworkingV1NetworkPolicy",
  "policy/v1/PodDisruptionBudget": "IoK8sApiPolicyV1PodDisruptionBudget",
  "apiextensions.k8s.io/v1/CustomResourceDefinition":
    "IoK8sApiextensionsApiserverPkgApisApiextensionsV1CustomResourceDefinition",
};

interface ValidateFunction {
  (data: unknown): boolean;
  errors?: { instancePath: string; message?: string; keyword: string; params: unknown }[] | null;
}

/** Problems with one object, each as "PATH: problem"; empty when it is valid. */
export async function schemaProblems(object: { apiVersion?: unknown; kind?: unknown }): Promise<string[]> {
  const schema = SCHEMAS[`${String(object.apiVersion)}/${String(object.kind)}`];
  if (!schema) return [`no schema known for ${String(object.apiVersion)} ${String(object.kind)}`];
  // An ES module: loaded with import(), which the CommonJS output keeps as it is.
  const { validate } = (await import(`kubernetes-models/_schemas/${schema}`)) as { validate: ValidateFunction };
  const reads = new Map<object, Set<string>>();
  if (!validate(tracked(asDecoded(object), reads))) {
    return (validate.errors ?? []).map((e) => `${e.instancePath || "/"}: ${e.keyword} ${JSON.stringify(e.params)}`);
  }
  return unreadFields(object, reads, "");
}

/**
 * The object as the API server reads it. kustomize writes a Secret's base64 data in lines;
 * the server's (Go's) base64 decoder skips the line breaks, the "byte" format does not.
 */
function asDecoded<T extends { kind?: unknown }>(object: T): T {
  const data = (object as { data?: unknown }).data;
  if (object.kind !== "Secret" || data === null || typeof data !== "object") return object;
  const joined = Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, typeof v === "string" ? v.replace(/\n/g, "") : v]),
  );
  return { ...object, data: joined };
}

/**
 * A proxy of value (and, as they are reached, of everything in it) that records in reads
 * the names of the fields looked up: the validator of a typed object looks up each field
 * its schema knows, present or not. An object nobody looked into has no entry (its schema
 * accepts anything, as the nested JSON Schemas of a CRD).
 */
function tracked<T>(value: T, reads: Map<object, Set<string>>, proxies = new Map<object, object>()): T {
  if (value === null || typeof value !== "object") return value;
  const existing = proxies.get(value);
  if (existing) return existing as T;
  const read = (): Set<string> => {
    let names = reads.get(value);
    if (!names) reads.set(value, (names = new Set()));
    return names;
  };
  const proxy = new Proxy(value, {
    get(target, key, receiver) {
      const field = Reflect.get(target, key, receiver) as unknown;
      if (typeof key !== "string") return field;
      read().add(key);
      return Object.hasOwn(target, key) ? tracked(field, reads, proxies) : field;
    },
    // A map (labels, data) is walked with for-in / Object.keys: every key counts as read.
    ownKeys(target) {
      const names = read();
      for (const key of Reflect.ownKeys(target)) if (typeof key === "string") names.add(key);
      return Reflect.ownKeys(target);
    },
  });
  proxies.set(value, proxy);
  return proxy;
}

/**
 * Fields the compiled schemas leave out: kubernetes-models drops "description" and the
 * x-kubernetes-* extensions from every schema, which also removes the JSONSchemaProps
 * fields of those names (a CRD's openAPIV3Schema uses them).
 */
function omittedBySchemas(where: string, key: string): boolean {
  return where.includes("/openAPIV3Schema/") && (key === "description" || key.startsWith("x-kubernetes-"));
}

function unreadFields(value: unknown, reads: Map<object, Set<string>>, at: string): string[] {
  if (value === null || typeof value !== "object") return [];
  const read = reads.get(value);
  if (!read) return []; // not walked: its schema accepts anything
  const problems: string[] = [];
  for (const [key, field] of Object.entries(value)) {
    const where = `${at}/${key}`;
    const known = Array.isArray(value) || read.has(key) || omittedBySchemas(where, key);
    if (!known) problems.push(`${where}: unknown field "${key}"`);
    else problems.push(...unreadFields(field, reads, where));
  }
  return problems;
}
