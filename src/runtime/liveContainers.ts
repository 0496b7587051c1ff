// Which containers have a live task right now, from one List of containers and of tasks
// per namespace.
import type { ContainerdClient, ContainerdContainer, ContainerdTask } from "./ContainerdClient";

export interface LiveContainer {
  namespace: string;
  container: ContainerdContainer;
  /** Pid of the task's init process. */
  pid: number;
}

// A STOPPED task keeps its pid until it is deleted; that process is gone.
const LIVE_STATUSES = new Set<ContainerdTask["status"]>(["CREATED", "RUNNING", "PAUSED", "PAUSING"]);
const isLive = (task: ContainerdTask): boolean => LIVE_STATUSES.has(task.status) && task.pid > 0;

/** Live containers keyed by keyOf(namespace, id). */
export async function listLiveContainers(
  client: ContainerdClient,
  namespaces: Iterable<string>,
  keyOf: (namespace: string, id: string) => string,
): Promise<Map<string, LiveContainer>> {
  const live = new Map<string, LiveContainer>();
  for (const namespace of namespaces) {
    const [containers, tasks] = await Promise.all([client.listContainers(namespace), client.listTasks(namespace)]);
    const pids = new Map(tasks.filter(isLive).map((t) => [t.containerId, t.pid]));
    for (const container of containers) {
      const pid = pids.get(container.id);
      if (pid !== undefined) live.set(keyOf(namespace, container.id), { namespace, container, pid });
    }
  }
  return live;
}

/**
 * Keys of the containers with a live task, from the task lists alone: what the exec fast
 * path's resume check needs several times a second (a container list carries every OCI
 * spec, ~10 KiB each, and a task exists only for an existing container).
 */
export async function listLiveTaskKeys(
  client: Pick<ContainerdClient, "listTasks">,
  namespaces: Iterable<string>,
  keyOf: (namespace: string, id: string) => string,
): Promise<Set<string>> {
  const live = new Set<string>();
  for (const namespace of namespaces) {
    for (const task of await client.listTasks(namespace)) {
      if (isLive(task)) live.add(keyOf(namespace, task.containerId));
    }
  }
  return live;
}
