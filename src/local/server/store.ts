// Longer than 300 lines: the local platform's SQLite schema and every query on it, each a few
// lines; keeping them together keeps the schema and its uses in one view (migrations included).
import { chmodSync, closeSync, existsSync, openSync } from "node:fs";
import Database from "better-sqlite3";

export type ServiceStatus =
  | "ServicePending"
  | "ServiceRunning"
  | "ServiceStop"
  | "ServiceDone"
  | "ServiceAbort";

export interface ServiceRecord {
  id: string;
  units: number;
  persistStorage: boolean;
  specifiedPort: boolean;
  region: string;
  status: ServiceStatus;
  createdAt: string;
  expiresAt: string;
  duration: number;
  description: string;
  labels: Record<string, string>;
  revision: number;
}

export type Protocol = "TCP" | "UDP";

export interface PortRecord {
  containerPort: number;
  hostPort: number;
  protocol: Protocol;
}

/** One deployed container, as the API's Container shape with host ports assigned. */
export interface ContainerRecord {
  name: string;
  imageName: string;
  resourceUnit: number;
  ports: PortRecord[];
  envs: { name: string; value: string }[];
  mountPath: string;
  command: string[];
  args: string[];
  configMap: Record<string, string>;
  /** The storage volume, when mountPath is set. Records from before it had one use the legacy name. */
  volume?: string;
}

export interface DomainRecord {
  serviceId: string;
  domain: string;
  containerPort: number;
  isHttps: boolean;
}

export interface Notice {
  id: number;
  /** ISO time. */
  time: string;
  serviceID: string;
  type: string;
  message: string;
}

export class RevisionConflict extends Error {}

/** Each entry runs once, in order, tracked by SQLite's user_version. */
const MIGRATIONS = [
  `CREATE TABLE services (
     id TEXT PRIMARY KEY,
     secret_hash TEXT NOT NULL UNIQUE,
     units INTEGER NOT NULL,
     persist_storage INTEGER NOT NULL,
     specified_port INTEGER NOT NULL,
     region TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at TEXT NOT NULL,
     expires_at TEXT NOT NULL,
     duration INTEGER NOT NULL,
     description TEXT NOT NULL DEFAULT '',
     labels TEXT NOT NULL DEFAULT '{}',
     revision INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE deployments (
     service_id TEXT NOT NULL REFERENCES services(id),
     revision INTEGER NOT NULL,
     containers TEXT NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (service_id, revision)
   );
   CREATE TABLE domains (
     domain TEXT PRIMARY KEY,
     service_id TEXT NOT NULL REFERENCES services(id),
     container_port INTEGER NOT NULL,
     is_https INTEGER NOT NULL
   );
   CREATE TABLE notices (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     service_id TEXT NOT NULL,
     time TEXT NOT NULL,
     type TEXT NOT NULL,
     message TEXT NOT NULL DEFAULT ''
   );
   CREATE INDEX notices_by_service ON notices (service_id, id);`,
  // The deployment body as the client sent it: what deployment/info echoes in real-API mode.
  "ALTER TABLE deployments ADD COLUMN request TEXT",
  // Images pulled with a registry login: other tenants must bring a login that can pull them.
  "CREATE TABLE private_images (ref TEXT PRIMARY KEY)",
];

interface ServiceRow {
  id: string;
  units: number;
  persist_storage: number;
  specified_port: number;
  region: string;
  status: ServiceStatus;
  created_at: string;
  expires_at: string;
  duration: number;
  description: string;
  labels: string;
  revision: number;
}

/** The local platform's records: SQLite in WAL mode, so a crash never leaves a half-written change. */
export class Store {
  readonly db: Database.Database;

  constructor(file: string) {
    // Created owner-only (it holds env values, secrets among them): SQLite gives its -wal and
    // -shm files the database file's mode.
    if (!existsSync(file)) closeSync(openSync(file, "a", 0o600));
    chmodSync(file, 0o600);
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("foreign_keys = ON");
    this.db.pragma("busy_timeout = 5000");
    const version = this.db.pragma("user_version", { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v] as string);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  close(): void {
    this.db.close();
  }

  createService(service: Omit<ServiceRecord, "revision">, secretHash: string): ServiceRecord {
    this.db
      .prepare(
        `INSERT INTO services (id, secret_hash, units, persist_storage, specified_port, region, status, created_at,
           expires_at, duration, description, labels, revision)
         VALUES (@id, @secretHash, @units, @persistStorage, @specifiedPort, @region, @status, @createdAt,
           @expiresAt, @duration, @description, @labels, 0)`,
      )
      .run({
        ...service,
        secretHash,
        persistStorage: service.persistStorage ? 1 : 0,
        specifiedPort: service.specifiedPort ? 1 : 0,
        labels: JSON.stringify(service.labels),
      });
    return this.service(service.id) as ServiceRecord;
  }

  service(id: string): ServiceRecord | undefined {
    const row = this.db.prepare("SELECT * FROM services WHERE id = ?").get(id) as ServiceRow | undefined;
    return row && toService(row);
  }

  serviceBySecretHash(hash: string): ServiceRecord | undefined {
    const row = this.db.prepare("SELECT * FROM services WHERE secret_hash = ?").get(hash) as
      | ServiceRow
      | undefined;
    return row && toService(row);
  }

  services(): ServiceRecord[] {
    return (this.db.prepare("SELECT * FROM services ORDER BY id").all() as ServiceRow[]).map(toService);
  }

  /**
   * Runs one change of a service atomically: checks `if-revision` (409 when it moved), applies the
   * change, bumps the revision. Returns the new revision.
   */
  mutate(
    serviceId: string,
    expectedRevision: number | undefined,
    change: (revision: number) => void,
  ): number {
    return this.db.transaction(() => {
      const current = this.service(serviceId);
      if (!current) throw new Error(`no service ${serviceId}`);
      if (expectedRevision !== undefined && expectedRevision !== current.revision) {
        throw new RevisionConflict(
          `revision is ${current.revision}, not ${expectedRevision}: the service changed since it was read`,
        );
      }
      const next = current.revision + 1;
      change(next);
      this.db.prepare("UPDATE services SET revision = ? WHERE id = ?").run(next, serviceId);
      return next;
    })();
  }

  markPrivateImage(ref: string): void {
    this.db.prepare("INSERT OR IGNORE INTO private_images (ref) VALUES (?)").run(ref);
  }

  isPrivateImage(ref: string): boolean {
    return this.db.prepare("SELECT 1 FROM private_images WHERE ref = ?").get(ref) !== undefined;
  }

  /** Puts a service back as it was before a change the engine refused. */
  undo(serviceId: string, before: { revision: number; status: ServiceStatus }): void {
    this.db.transaction(() => {
      this.db
        .prepare("DELETE FROM deployments WHERE service_id = ? AND revision > ?")
        .run(serviceId, before.revision);
      this.db
        .prepare("UPDATE services SET revision = ?, status = ? WHERE id = ?")
        .run(before.revision, before.status, serviceId);
    })();
  }

  setStatus(serviceId: string, status: ServiceStatus): void {
    this.db.prepare("UPDATE services SET status = ? WHERE id = ?").run(status, serviceId);
  }

  setDescription(serviceId: string, description: string): void {
    this.db.prepare("UPDATE services SET description = ? WHERE id = ?").run(description, serviceId);
  }

  setLabels(serviceId: string, labels: Record<string, string>): void {
    this.db.prepare("UPDATE services SET labels = ? WHERE id = ?").run(JSON.stringify(labels), serviceId);
  }

  /** `request`: the body as the client sent it (kept from the last deploy by in-place updates). */
  saveDeployment(serviceId: string, revision: number, containers: ContainerRecord[], request: unknown): void {
    this.db
      .prepare(
        "INSERT INTO deployments (service_id, revision, containers, created_at, request) VALUES (?, ?, ?, ?, ?)",
      )
      .run(
        serviceId,
        revision,
        JSON.stringify(containers),
        new Date().toISOString(),
        JSON.stringify(request),
      );
  }

  /** The latest deployment of a service, with the revision that wrote it and the body last deployed. */
  deployment(
    serviceId: string,
  ): { revision: number; containers: ContainerRecord[]; request: unknown } | undefined {
    const row = this.db
      .prepare(
        "SELECT revision, containers, request FROM deployments WHERE service_id = ? ORDER BY revision DESC LIMIT 1",
      )
      .get(serviceId) as { revision: number; containers: string; request: string | null } | undefined;
    return (
      row && {
        revision: row.revision,
        containers: JSON.parse(row.containers),
        request: row.request ? JSON.parse(row.request) : undefined,
      }
    );
  }

  /** Host ports held by every service's current deployment, except one service's. */
  hostPortsInUse(exceptServiceId?: string): Map<string, string> {
    const used = new Map<string, string>();
    for (const s of this.services()) {
      if (s.id === exceptServiceId) continue;
      for (const c of this.deployment(s.id)?.containers ?? []) {
        for (const p of c.ports) used.set(`${p.hostPort}/${p.protocol}`, s.id);
      }
    }
    return used;
  }

  domains(serviceId?: string): DomainRecord[] {
    const rows = (
      serviceId
        ? this.db.prepare("SELECT * FROM domains WHERE service_id = ? ORDER BY domain").all(serviceId)
        : this.db.prepare("SELECT * FROM domains ORDER BY domain").all()
    ) as { domain: string; service_id: string; container_port: number; is_https: number }[];
    return rows.map((r) => ({
      serviceId: r.service_id,
      domain: r.domain,
      containerPort: r.container_port,
      isHttps: r.is_https === 1,
    }));
  }

  bindDomain(d: DomainRecord): void {
    this.db
      .prepare("INSERT INTO domains (domain, service_id, container_port, is_https) VALUES (?, ?, ?, ?)")
      .run(d.domain, d.serviceId, d.containerPort, d.isHttps ? 1 : 0);
  }

  unbindDomains(serviceId: string, domains?: string[]): number {
    if (!domains) return this.db.prepare("DELETE FROM domains WHERE service_id = ?").run(serviceId).changes;
    const del = this.db.prepare("DELETE FROM domains WHERE service_id = ? AND domain = ?");
    return domains.reduce((n, d) => n + del.run(serviceId, d).changes, 0);
  }

  addNotice(serviceId: string, type: string, message = ""): void {
    this.db
      .prepare("INSERT INTO notices (service_id, time, type, message) VALUES (?, ?, ?, ?)")
      .run(serviceId, new Date().toISOString(), type, message);
  }

  /** Newest first. */
  notices(serviceId: string, page: number, pageSize: number): { total: number; notices: Notice[] } {
    const total = (
      this.db.prepare("SELECT COUNT(*) AS n FROM notices WHERE service_id = ?").get(serviceId) as {
        n: number;
      }
    ).n;
    const rows = this.db
      .prepare(
        `SELECT id, time, service_id AS serviceID, type, message FROM notices WHERE service_id = ?
         ORDER BY id DESC LIMIT ? OFFSET ?`,
      )
      .all(serviceId, pageSize, (page - 1) * pageSize) as Notice[];
    return { total, notices: rows };
  }
}

function toService(row: ServiceRow): ServiceRecord {
  return {
    id: row.id,
    units: row.units,
    persistStorage: row.persist_storage === 1,
    specifiedPort: row.specified_port === 1,
    region: row.region,
    status: row.status,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    duration: row.duration,
    description: row.description,
    labels: JSON.parse(row.labels),
    revision: row.revision,
  };
}
