// The collector's TLS: its own certificate, and client certificates requested but not
// required at the handshake, so that reviewers with only a bearer token can connect. A
// presented certificate must chain to --client-ca and be valid now; the Authenticator
// then decides per call (agents must have one).
import * as fs from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { errorMessage } from "../../util/errorMessage";

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  clientCaFile: string;
}

export function serverCredentials(tls: TlsFiles | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const certificate = readPem(tls.certFile, "--tls-cert");
  const privateKey = readPem(tls.keyFile, "--tls-key");
  const caCertificate = readPem(tls.clientCaFile, "--client-ca");
  const identity = new StaticCertificates({ certificate, privateKey });
  const ca = new StaticCertificates({ caCertificate });
  // grpc-js: (identity provider, CA provider, requireClientCertificate). With false, the
  // handshake sets requestCert without rejectUnauthorized.
  return grpc.experimental.createCertificateProviderServerCredentials(identity, ca, false);
}

class StaticCertificates implements grpc.experimental.CertificateProvider {
  constructor(
    private readonly value: {
      certificate?: Buffer;
      privateKey?: Buffer;
      caCertificate?: Buffer;
    },
  ) {}

  // Deferred: grpc-js registers its own watcher only after adding these listeners, and an
  // update delivered before that is lost (the server would then drop every connection).
  addCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    const { caCertificate } = this.value;
    queueMicrotask(() => listener(caCertificate ? { caCertificate } : null));
  }

  removeCaCertificateListener(): void {}

  addIdentityCertificateListener(listener: grpc.experimental.IdentityCertificateUpdateListener): void {
    const { certificate, privateKey } = this.value;
    queueMicrotask(() => listener(certificate && privateKey ? { certificate, privateKey } : null));
  }

  removeIdentityCertificateListener(): void {}
}

export function readPem(file: string, flag: string): Buffer {
  try {
    const data = fs.readFileSync(file);
    if (!data.includes("-----BEGIN ")) throw new Error("not a PEM file");
    return data;
  } catch (error) {
    throw new Error(`${flag} ${file}: ${errorMessage(error)}`);
  }
}
