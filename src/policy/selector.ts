// Does a policy's selector match a workload, and why (or why not). Pure. Every field of
// the selector that is present must match; within a list any entry may match.
import { globMatches } from "./glob";
import { imageMatches } from "./imageRef";
import type { LabelExpression, PolicySelector, Workload } from "./types";

export interface SelectorMatch {
  matched: boolean;
  /** One line per selector field: what matched, or the first thing that did not. */
  reasons: string[];
}

export function matchSelector(selector: PolicySelector, workload: Workload): SelectorMatch {
  const reasons: string[] = [];
  const check = (ok: boolean, reason: string): boolean => {
    reasons.push(reason);
    return ok;
  };
  const { namespaces, matchLabels, matchExpressions, images, containers } = selector;
  const ok =
    (namespaces === undefined || checkNamespaces(namespaces, workload, check)) &&
    (matchLabels === undefined || checkLabels(matchLabels, workload.podLabels, check)) &&
    (matchExpressions === undefined ||
      matchExpressions.every((e) => {
        const [matched, reason] = expressionMatches(e, workload.podLabels);
        return check(matched, reason);
      })) &&
    (images === undefined || checkImages(images, workload, check)) &&
    (containers === undefined || checkContainers(containers, workload, check));
  if (ok && reasons.length === 0) reasons.push("empty selector: matches every container");
  return { matched: ok, reasons };
}

type Check = (ok: boolean, reason: string) => boolean;

function list(values: string[]): string {
  return values.length === 0 ? "[] (nothing)" : values.join(", ");
}

function checkNamespaces(namespaces: string[], w: Workload, check: Check): boolean {
  if (w.namespace === undefined) return check(false, "not in a Kubernetes namespace; selector.namespaces needs one");
  const hit = namespaces.find((glob) => globMatches(glob, w.namespace!));
  return hit !== undefined
    ? check(true, `namespace ${w.namespace} matches ${hit}`)
    : check(false, `namespace ${w.namespace} is not in ${list(namespaces)}`);
}

function checkLabels(matchLabels: Record<string, string>, labels: Record<string, string>, check: Check): boolean {
  for (const [key, value] of Object.entries(matchLabels)) {
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    if (!has || labels[key] !== value) {
      const got = has ? `${key}=${labels[key]}` : `no label ${key}`;
      return check(false, `label ${key}=${value} wanted, pod has ${got}`);
    }
  }
  const pairs = Object.entries(matchLabels).map(([k, v]) => `${k}=${v}`);
  return check(true, pairs.length > 0 ? `labels ${pairs.join(", ")} match` : "matchLabels is empty");
}

/** Kubernetes label selector semantics: NotIn and DoesNotExist match when the key is absent. */
export function expressionMatches(e: LabelExpression, labels: Record<string, string>): [boolean, string] {
  const has = Object.prototype.hasOwnProperty.call(labels, e.key);
  const value = labels[e.key];
  const shown = has ? `${e.key}=${value}` : `no label ${e.key}`;
  switch (e.operator) {
    case "In":
      return [has && e.values.includes(value), `${e.key} In (${e.values.join(", ")}): pod has ${shown}`];
    case "NotIn":
      return [!has || !e.values.includes(value), `${e.key} NotIn (${e.values.join(", ")}): pod has ${shown}`];
    case "Exists":
      return [has, `${e.key} Exists: pod has ${shown}`];
    case "DoesNotExist":
      return [!has, `${e.key} DoesNotExist: pod has ${shown}`];
  }
}

function checkImages(images: string[], w: Workload, check: Check): boolean {
  const hit = images.find((pattern) => imageMatches(pattern, w.image, w.imageDigest));
  const shown = w.imageDigest ? `${w.image} (${w.imageDigest})` : w.image;
  return hit !== undefined
    ? check(true, `image ${shown} matches ${hit}`)
    : check(false, `image ${shown} is not in ${list(images)}`);
}

function checkContainers(containers: string[], w: Workload, check: Check): boolean {
  if (w.container === undefined) return check(false, "no Kubernetes container name; selector.containers needs one");
  const hit = containers.find((glob) => globMatches(glob, w.container!));
  return hit !== undefined
    ? check(true, `container ${w.container} matches ${hit}`)
    : check(false, `container ${w.container} is not in ${list(containers)}`);
}
