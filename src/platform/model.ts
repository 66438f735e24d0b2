import type { Capability, WireContainerStatus, WireDomain, WireUserService } from "./wire.js";

/**
 * svc's model of what a provider shows, made from its answers in one place (adapt.ts). A field
 * left undefined is one the provider does not show: *unmanaged* — left out of diffs and
 * fingerprints, never read as empty.
 */

export type { Capability };
export type Capabilities = ReadonlySet<Capability>;

/** The user service. Extension fields (description, labels, expiry, revision) only with their capability. */
export type UserService = WireUserService;

export interface LivePort {
  containerPort: number;
  /** Absent when the provider does not show it (platform-assigned, no deployment-info). */
  hostPort?: number;
  protocol: "TCP" | "UDP";
}

/** A deployed container. Optional fields: unmanaged on this provider. */
export interface LiveContainer {
  name: string;
  imageName: string;
  envs: { name: string; value: string }[];
  resourceUnit?: number;
  ports?: LivePort[];
  mountPath?: string;
  command?: string[];
  args?: string[];
  /** Config files by path (deployment-info or config-path-map). */
  configMap?: Record<string, string>;
  /** Without paths: the one config file's content the public configmap call shows (or none). */
  configContents?: string[];
  /** Paths the deployment echo names, when only contents are known (for export). */
  configPaths?: string[];
}

export type LiveDomain = WireDomain;

export interface ContainerStatus {
  name: string;
  image?: string;
  restartCount: number;
  state: WireContainerStatus["state"];
  /** Derived: running (the public API has no readiness). */
  ready: boolean;
}

export interface PodView {
  hostIP?: string;
  containers: ContainerStatus[];
  /** [] when none (the API says null). */
  domains: LiveDomain[];
  /** Derived from the service status and container states. */
  phase: "Pending" | "Running" | "Paused" | "Failed" | "NotDeployed";
}

/** Per container; network and storage are the pod's. */
export interface Usage {
  containers: Record<string, { cpuPercent: number; memory: { value: number; limitValue: number } }>;
  pod: { networkDownload: number; networkUpload: number; storage: number };
}

export interface Notice {
  /** ISO time. */
  time: string;
  serviceID: string;
  type: string;
  message?: string;
}

export interface RegistryLogin {
  username: string;
  password: string;
}

/** The parts of a service's live state that plans compare and apply guards. */
export interface ObservedState {
  service: UserService;
  /** Undefined when nothing was ever deployed. */
  containers?: LiveContainer[];
  domains: LiveDomain[];
}
