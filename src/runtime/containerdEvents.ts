// Decodes containerd event envelopes into typed events. The payload is an Any whose type
// URL is the message's full name ("containerd.events.TaskExit"; some publishers prefix it
// with "type.googleapis.com/"), so the decoder is picked by the part after the last '/'.
import { decodeMessage } from "./containerdProto";

/** What the runtime watcher reacts to; everything else is `other`. */
export type ContainerdEvent =
  | { kind: "TaskCreate"; namespace: string; containerId: string; pid: number }
  | { kind: "TaskStart"; namespace: string; containerId: string; pid: number }
  | { kind: "TaskExit"; namespace: string; containerId: string; execId: string; pid: number; exitStatus: number }
  | { kind: "TaskDelete"; namespace: string; containerId: string; execId: string; pid: number }
  | { kind: "ContainerCreate"; namespace: string; containerId: string; image: string }
  | { kind: "ContainerDelete"; namespace: string; containerId: string }
  | { kind: "other"; namespace: string; topic: string; typeUrl: string };

/** The envelope as decoded by protobufjs (snake_case, defaults filled). */
export interface RawEnvelope {
  namespace: string;
  topic: string;
  event?: { type_url: string; value: Uint8Array } | null;
}

interface RawTaskCreate {
  container_id: string;
  pid: number;
}
type RawTaskStart = RawTaskCreate;
interface RawTaskExit {
  container_id: string;
  id: string;
  pid: number;
  exit_status: number;
}
type RawTaskDelete = RawTaskExit;
interface RawContainerCreate {
  id: string;
  image: string;
}
interface RawContainerDelete {
  id: string;
}

/** "type.googleapis.com/containerd.events.TaskExit" → "containerd.events.TaskExit". */
export function typeNameOf(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
}

/** Decodes one envelope; throws if a known payload type does not decode. */
export function decodeEnvelope(envelope: RawEnvelope): ContainerdEvent {
  const { namespace, topic } = envelope;
  const typeUrl = envelope.event?.type_url ?? "";
  const value = envelope.event?.value ?? new Uint8Array();
  const typeName = typeNameOf(typeUrl);
  switch (typeName) {
    case "containerd.events.TaskCreate": {
      const e = decodeMessage<RawTaskCreate>(typeName, value);
      return { kind: "TaskCreate", namespace, containerId: e.container_id, pid: e.pid };
    }
    case "containerd.events.TaskStart": {
      const e = decodeMessage<RawTaskStart>(typeName, value);
      return { kind: "TaskStart", namespace, containerId: e.container_id, pid: e.pid };
    }
    case "containerd.events.TaskExit": {
      const e = decodeMessage<RawTaskExit>(typeName, value);
      const base = { namespace, containerId: e.container_id, execId: e.id, pid: e.pid };
      return { kind: "TaskExit", ...base, exitStatus: e.exit_status };
    }
    case "containerd.events.TaskDelete": {
      const e = decodeMessage<RawTaskDelete>(typeName, value);
      return { kind: "TaskDelete", namespace, containerId: e.container_id, execId: e.id, pid: e.pid };
    }
    case "containerd.events.ContainerCreate": {
      const e = decodeMessage<RawContainerCreate>(typeName, value);
      return { kind: "ContainerCreate", namespace, containerId: e.id, image: e.image };
    }
    case "containerd.events.ContainerDelete": {
      const e = decodeMessage<RawContainerDelete>(typeName, value);
      return { kind: "ContainerDelete", namespace, containerId: e.id };
    }
    default:
      return { kind: "other", namespace, topic, typeUrl };
  }
}

/**
 * True when a TaskExit / TaskDelete is about the task's init process: containerd sets the
 * id to the container id for it (older shims leave it empty); execs carry their exec id.
 */
export function isInitProcess(event: { containerId: string; execId: string }): boolean {
  return event.execId === "" || event.execId === event.containerId;
}
