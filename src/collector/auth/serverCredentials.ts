// The collector's TLS: its own certificate, and client certificates requested but not
// required at the handshake, so that reviewers with only a bearer token can connect. A
// presented certificate must chain to --client-ca and be valid now; the Authenticator
// then decides per call (agents must have one). The files are re-read while the collector
// runs (ServerTls.update, from a FileWatch): new connections get the new certificate and
// CA at once, open ones keep theirs.
import { X509Certificate, createPrivateKey } from "node:crypto";
import * as fs from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { errorMessage } from "../../util/errorMessage";

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  clientCaFile: string;
}

/** The PEM contents in force. */
export interface TlsMaterial {
  certificate: Buffer;
  privateKey: Buffer;
  caCertificate: Buffer;
}

export class ServerTls {
  private readonly identityListeners = new Set<grpc.experimental.IdentityCertificateUpdateListener>();
  private readonly caListeners = new Set<grpc.experimental.CaCertificateUpdateListener>();
  private readonly changeListeners = new Set<(material: TlsMaterial) => void>();

  private constructor(private current: TlsMaterial) {}

  /** Reads and checks the files now; throws naming the flag and file. */
  static read(files: TlsFiles): ServerTls {
    return new ServerTls(
      checkMaterial([
        readPem(files.certFile, "--tls-cert"),
        readPem(files.keyFile, "--tls-key"),
        readPem(files.clientCaFile, "--client-ca"),
      ]),
    );
  }

  get material(): TlsMaterial {
    return this.current;
  }

  /** New contents of [cert, key, CA]; throws (and keeps the old) when they do not fit together. */
  update(contents: Buffer[]): void {
    this.current = checkMaterial(contents);
    const { certificate, privateKey, caCertificate } = this.current;
    for (const listener of this.identityListeners) listener({ certificate, privateKey });
    for (const listener of this.caListeners) listener({ caCertificate });
    for (const listener of this.changeListeners) listener(this.current);
  }

  /** The web server follows changes this way. */
  onChange(listener: (material: TlsMaterial) => void): void {
    this.changeListeners.add(listener);
  }

  credentials(): grpc.ServerCredentials {
    const identity: grpc.experimental.CertificateProvider = {
      // Deferred: grpc-js registers its own watcher only after adding these listeners, and an
      // update delivered before that is lost (the server would then drop every connection).
      addIdentityCertificateListener: (listener) => {
        this.identityListeners.add(listener);
        const { certificate, privateKey } = this.current;
        queueMicrotask(() => listener({ certificate, privateKey }));
      },
      removeIdentityCertificateListener: (listener) => void this.identityListeners.delete(listener),
      addCaCertificateListener: () => undefined,
      removeCaCertificateListener: () => undefined,
    };
    const ca: grpc.experimental.CertificateProvider = {
      addCaCertificateListener: (listener) => {
        this.caListeners.add(listener);
        const { caCertificate } = this.current;
        queueMicrotask(() => listener({ caCertificate }));
      },
      removeCaCertificateListener: (listener) => void this.caListeners.delete(listener),
      addIdentityCertificateListener: () => undefined,
      removeIdentityCertificateListener: () => undefined,
    };
    // grpc-js: (identity provider, CA provider, requireClientCertificate). With false, the
    // handshake sets requestCert without rejectUnauthorized.
    return grpc.experimental.createCertificateProviderServerCredentials(identity, ca, false);
  }
}

export function serverCredentials(tls: ServerTls | undefined): grpc.ServerCredentials {
  return tls ? tls.credentials() : grpc.ServerCredentials.createInsecure();
}

/** [cert, key, CA] PEMs that parse and whose key belongs to the certificate (a half-rotated pair is refused). */
function checkMaterial([certificate, privateKey, caCertificate]: Buffer[]): TlsMaterial {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certificate);
    new X509Certificate(caCertificate);
  } catch (error) {
    throw new Error(`the certificate or the client CA is not a PEM certificate: ${errorMessage(error)}`);
  }
  let key;
  try {
    key = createPrivateKey(privateKey);
  } catch (error) {
    throw new Error(`the key is not a PEM private key: ${errorMessage(error)}`);
  }
  if (!cert.checkPrivateKey(key)) throw new Error("the key does not belong to the certificate");
  return { certificate, privateKey, caCertificate };
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
