// AgentService.UploadSamples and FindingService.GetSample against a real collector on
// loopback (mTLS): an honest agent stores a sample once and an admin downloads it byte for
// byte; a hostile peer (wrong digest, more bytes than offered, an oversized chunk, a chunk
// without an offer, a reviewer's certificate) gets a clear error and nothing is stored; a
// reader is refused the download on gRPC and on the page.
import * as assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import type * as http from "node:http";
import * as https from "node:https";
import * as grpc from "@grpc/grpc-js";

import type { GetSampleResponse, SampleUpload, SampleUploadResponse } from "../../../src/api/sampleTypes";
import type { CertFiles } from "../../../src/collector/certs";
import { createAgentClient, readCredentialFiles } from "../../../src/report/agentClient";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { findingRecord } from "../../testbed/findingFixtures";

type UploadCall = grpc.ClientDuplexStream<SampleUpload, SampleUploadResponse>;
const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
const MiB = 1024 * 1024;

/** One UploadSamples stream: send messages, read answers, and how it ended. */
class Peer {
  readonly answers: SampleUploadResponse[] = [];
  readonly ended: Promise<grpc.StatusObject | undefined>;
  private readonly call: UploadCall;

  constructor(harness: Harness, cert?: CertFiles) {
    const connection = harness.agentConnection(cert);
    const client = createAgentClient(connection, readCredentialFiles(connection)) as unknown as grpc.Client & {
      UploadSamples(m: grpc.Metadata): UploadCall;
    };
    this.call = client.UploadSamples(new grpc.Metadata());
    this.call.on("data", (a: SampleUploadResponse) => this.answers.push(a));
    this.ended = new Promise((resolve) => {
      this.call.on("error", (e: grpc.ServiceError) => resolve(e));
      this.call.on("end", () => resolve(undefined));
    }).finally(() => client.close()) as Promise<grpc.StatusObject | undefined>;
  }

  send(message: SampleUpload): void {
    this.call.write(message);
  }

  async answer(n: number): Promise<SampleUploadResponse> {
    const deadline = Date.now() + 10_000;
    while (this.answers.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(this.answers.length >= n, `no answer ${n}`);
    return this.answers[n - 1];
  }

  end(): void {
    this.call.end();
  }
}

describe("sample upload and download (gRPC on loopback)", function () {
  this.timeout(60_000);
  let harness: Harness;
  before(async () => {
    harness = await startHarness({ samples: { storeBytes: 200 * MiB } });
  });
  after(async () => harness?.stop());
  const stored = async (digest: string) => (await harness.collector.store.samples.infos([digest])).has(digest);

  it("stores an offered sample once; a second offer is answered HAVE and sends nothing", async () => {
    const bytes = randomBytes(2 * MiB + 17);
    const digest = sha(bytes);
    const peer = new Peer(harness);
    peer.send({ offer: { sha256: digest, size: bytes.length } });
    assert.equal((await peer.answer(1)).answer, "SAMPLE_ANSWER_SEND");
    for (let o = 0; o < bytes.length; o += MiB) {
      const data = bytes.subarray(o, o + MiB);
      peer.send({ chunk: { sha256: digest, data, last: o + MiB >= bytes.length } });
    }
    assert.equal((await peer.answer(2)).answer, "SAMPLE_ANSWER_STORED");
    peer.send({ offer: { sha256: digest, size: bytes.length } });
    assert.equal((await peer.answer(3)).answer, "SAMPLE_ANSWER_HAVE");
    peer.end();
    assert.equal(await peer.ended, undefined);
    assert.deepEqual(await harness.collector.store.samples.content(digest), bytes);

    // An admin downloads it byte for byte; a reader is refused on gRPC and on the page.
    const finding = findingRecord(1, { sha256: digest });
    await harness.collector.store.ingest([finding], Date.now());
    const chunks: Buffer[] = [];
    for await (const m of harness.findings().sample({ id: finding.id }) as AsyncIterable<GetSampleResponse>) {
      chunks.push(Buffer.from(m.data));
    }
    assert.equal(sha(Buffer.concat(chunks)), digest);
    assert.ok(chunks.every((c) => c.length <= MiB) && chunks.length === 3, "chunks of at most 1 MiB");
    await assert.rejects(
      (async () => {
        for await (const _ of harness.findings(harness.tokens.reader).sample({ id: finding.id })) void _;
      })(),
      (e: grpc.ServiceError) => e.code === grpc.status.PERMISSION_DENIED && /needs role admin/.test(e.details),
    );
    const url = `${harness.webUrl}/api/findings/${finding.id}/sample`;
    const web = (token: string) => fetchCa(url, token, harness);
    const reader = await web(harness.tokens.reader);
    assert.equal(reader.status, 403);
    const admin = await web(harness.tokens.admin);
    assert.equal(admin.status, 200);
    assert.equal(admin.headers["content-type"], "application/octet-stream");
    assert.equal(admin.headers["content-disposition"], `attachment; filename="${digest}.sample"`);
    assert.equal(admin.headers["x-content-type-options"], "nosniff");
    assert.equal(sha(admin.body), digest);
  });

  const hostile: [string, (digest: string, bytes: Buffer) => SampleUpload[], RegExp][] = [
    [
      "bytes that hash to another digest",
      (d, b) => [
        { offer: { sha256: d, size: b.length } },
        { chunk: { sha256: d, data: randomBytes(b.length), last: true } },
      ],
      /the bytes hash to [0-9a-f]{64}, not the offered .*nothing stored/,
    ],
    [
      "more bytes than offered",
      (d, b) => [{ offer: { sha256: d, size: b.length - 1 } }, { chunk: { sha256: d, data: b, last: true } }],
      /more bytes than the \d+ offered.*nothing stored/,
    ],
    [
      "fewer bytes than offered",
      (d, b) => [{ offer: { sha256: d, size: b.length + 1 } }, { chunk: { sha256: d, data: b, last: true } }],
      /not the \d+ offered.*nothing stored/,
    ],
    [
      "a chunk over 1 MiB",
      (d) => [
        { offer: { sha256: d, size: 2 * MiB } },
        { chunk: { sha256: d, data: Buffer.alloc(MiB + 1), last: false } },
      ],
      /a SampleChunk of 1048577 bytes \(at most 1048576\)/,
    ],
    [
      "a chunk without an offer",
      (d, b) => [{ chunk: { sha256: d, data: b, last: true } }],
      /without an offer answered SEND/,
    ],
    [
      "a chunk for another digest than offered",
      (d, b) => [{ offer: { sha256: d, size: b.length } }, { chunk: { sha256: "a".repeat(64), data: b, last: true } }],
      /without an offer answered SEND/,
    ],
    ["an offer that is not a digest", () => [{ offer: { sha256: "../../etc/passwd", size: 5 } }], /64 lower-case hex/],
  ];
  for (const [name, messages, error] of hostile) {
    it(`a peer sending ${name} ends with INVALID_ARGUMENT and nothing is stored`, async () => {
      const bytes = randomBytes(4096);
      const digest = sha(bytes);
      const peer = new Peer(harness);
      for (const m of messages(digest, bytes)) peer.send(m);
      const status = await peer.ended;
      assert.equal(status?.code, grpc.status.INVALID_ARGUMENT, JSON.stringify(status));
      assert.match(status!.details, error);
      assert.equal(await stored(digest), false);
      assert.equal(await stored("a".repeat(64)), false);
    });
  }

  it("holds at most 4 upload streams per agent: a fifth replaces the oldest", async () => {
    const peers: Peer[] = [];
    const contents = Array.from({ length: 5 }, () => randomBytes(100));
    try {
      // One after the other: each is registered (served) before the next opens.
      for (let i = 0; i < 5; i++) {
        const peer = new Peer(harness);
        peers.push(peer);
        peer.send({ offer: { sha256: sha(contents[i]), size: contents[i].length } });
        assert.equal((await peer.answer(1)).answer, "SAMPLE_ANSWER_SEND", `stream ${i} served`);
      }
      const oldest = await peers[0].ended;
      assert.equal(oldest?.code, grpc.status.RESOURCE_EXHAUSTED, JSON.stringify(oldest));
      assert.match(oldest!.details!, /replaced by a newer stream/);
      peers[4].send({ chunk: { sha256: sha(contents[4]), data: contents[4], last: true } });
      assert.equal((await peers[4].answer(2)).answer, "SAMPLE_ANSWER_STORED", "the newest still served");
    } finally {
      for (const peer of peers) peer.end();
    }
  });

  it("refuses an offer over 64 MiB without reading a byte, and a reviewer's certificate outright", async () => {
    const peer = new Peer(harness);
    peer.send({ offer: { sha256: "b".repeat(64), size: 64 * MiB + 1 } });
    const answer = await peer.answer(1);
    assert.deepEqual(
      [answer.answer, /more than a sample may have/.test(answer.detail)],
      ["SAMPLE_ANSWER_REFUSED", true],
    );
    peer.end();
    const reviewer = new Peer(harness, harness.certs.reader);
    reviewer.send({ offer: { sha256: "c".repeat(64), size: 1 } });
    const status = await reviewer.ended;
    assert.equal(status?.code, grpc.status.PERMISSION_DENIED, JSON.stringify(status));
    assert.equal(await stored("c".repeat(64)), false);
  });
});

/** GET with the reviewer's token over HTTPS (the test CA): status, headers and the body's bytes. */
function fetchCa(
  url: string,
  token: string,
  harness: Harness,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const ca = fs.readFileSync(harness.certs.ca.certFile);
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, headers: { Authorization: `Bearer ${token}` } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      })
      .on("error", reject);
  });
}
