import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import forge from "node-forge";
import { ensureDir } from "../paths.js";

export interface KeyAndCert {
  key: string;
  cert: string;
}

/**
 * The local platform's certificate authority, created on first start. Users trust its certificate
 * (the path `svc local status` prints) to reach HTTPS domains; leaf certificates are made per
 * domain on demand and kept in memory.
 */
export class LocalCa {
  readonly certFile: string;
  private readonly ca: { key: forge.pki.rsa.PrivateKey; cert: forge.pki.Certificate; pem: KeyAndCert };
  private readonly leaves = new Map<string, KeyAndCert>();

  constructor(dir: string) {
    ensureDir(dir);
    this.certFile = join(dir, "ca.crt");
    const keyFile = join(dir, "ca.key");
    if (!existsSync(this.certFile) || !existsSync(keyFile)) {
      const made = makeCertificate("svc local platform CA", undefined, true);
      writeFileSync(keyFile, made.key, { mode: 0o600 });
      writeFileSync(this.certFile, made.cert, { mode: 0o600 });
    }
    const pem = { key: readFileSync(keyFile, "utf8"), cert: readFileSync(this.certFile, "utf8") };
    this.ca = {
      key: forge.pki.privateKeyFromPem(pem.key),
      cert: forge.pki.certificateFromPem(pem.cert),
      pem,
    };
  }

  get certificate(): string {
    return this.ca.pem.cert;
  }

  leaf(domain: string): KeyAndCert {
    let leaf = this.leaves.get(domain);
    if (!leaf) {
      leaf = makeCertificate(domain, this.ca, false);
      this.leaves.set(domain, leaf);
    }
    return leaf;
  }
}

function makeCertificate(
  commonName: string,
  issuer: { key: forge.pki.rsa.PrivateKey; cert: forge.pki.Certificate } | undefined,
  isCa: boolean,
): KeyAndCert {
  // Node generates the key (fast, native); forge builds and signs the certificate.
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  cert.serialNumber = `01${randomBytes(15).toString("hex")}`;
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(now + (isCa ? 3650 : 397) * 24 * 60 * 60 * 1000);
  cert.setSubject([{ name: "commonName", value: commonName }]);
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : [{ name: "commonName", value: commonName }]);
  cert.setExtensions(
    isCa
      ? [
          { name: "basicConstraints", cA: true, critical: true },
          { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
          { name: "subjectKeyIdentifier" },
        ]
      : [
          { name: "basicConstraints", cA: false },
          { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
          { name: "extKeyUsage", serverAuth: true },
          { name: "subjectAltName", altNames: [{ type: 2, value: commonName }] },
        ],
  );
  const signer = issuer?.key ?? forge.pki.privateKeyFromPem(privateKey);
  cert.sign(signer as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return { key: privateKey, cert: forge.pki.certificateToPem(cert) };
}
