import {
  HttpPlatformClient,
  PlatformHttpError,
  PlatformUnreachable,
  type RegistryLogin,
} from "../platform/client.js";
import type { DeploymentBody } from "./payload.js";

/** The mutating calls apply makes. Each carries `if-revision` and returns the new revision. */
export interface ApplyClient {
  revision(): Promise<number>;
  deploy(first: boolean, body: DeploymentBody, ifRevision: number): Promise<number>;
  updateImages(
    items: { container: string; image: string; login?: RegistryLogin }[],
    ifRevision: number,
  ): Promise<number>;
  updatePod(
    body: {
      config?: Record<string, Record<string, string>>;
      environment?: Record<string, Record<string, string>>;
    },
    ifRevision: number,
  ): Promise<number>;
  setDescription(description: string, ifRevision: number): Promise<number>;
  setLabels(labels: Record<string, string>, ifRevision: number): Promise<number>;
  bindDomain(domain: string, containerPort: number, https: boolean, ifRevision: number): Promise<number>;
  unbindDomains(domains: string[], ifRevision: number): Promise<number>;
}

/** Another writer changed the service between our read and our call (409 on if-revision). */
export class ConcurrentChange extends Error {}

export class HttpApplyClient extends HttpPlatformClient implements ApplyClient {
  async revision(): Promise<number> {
    return (await this.userService()).revision;
  }

  deploy(first: boolean, body: DeploymentBody, ifRevision: number): Promise<number> {
    return this.mutate(
      "POST",
      first ? "/api/v1/k8s/deployment" : "/api/v1/k8s/deployment/update",
      body,
      ifRevision,
    );
  }

  updateImages(
    items: { container: string; image: string; login?: RegistryLogin }[],
    ifRevision: number,
  ): Promise<number> {
    return this.mutate("PATCH", "/api/v1/k8s/pod/images", items, ifRevision);
  }

  updatePod(body: object, ifRevision: number): Promise<number> {
    return this.mutate("PUT", "/api/v1/k8s/pod/update", body, ifRevision);
  }

  setDescription(description: string, ifRevision: number): Promise<number> {
    return this.mutate("POST", "/api/v1/k8s/deployment/metadata/annotation", { description }, ifRevision);
  }

  setLabels(labels: Record<string, string>, ifRevision: number): Promise<number> {
    return this.mutate("POST", "/api/v1/k8s/deployment/metadata/label", { labels }, ifRevision);
  }

  bindDomain(domain: string, containerPort: number, https: boolean, ifRevision: number): Promise<number> {
    return this.mutate(
      "POST",
      "/api/v1/k8s/pod/ingress",
      { domain, containerPort, isLetsencrypt: https },
      ifRevision,
    );
  }

  unbindDomains(domains: string[], ifRevision: number): Promise<number> {
    return this.mutate("PATCH", "/api/v1/k8s/pod/ingress", { action: "Del", domains }, ifRevision);
  }

  /**
   * A change is never retried blindly. After a reset, timeout or 5xx the revision tells what
   * happened: unchanged, the call did not land and is sent again; one higher, it landed (the
   * response was lost); anything else, someone else changed the service.
   */
  private async mutate(method: string, path: string, body: unknown, ifRevision: number): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await this.request<{ revision: number }>(
          method,
          path,
          body,
          { "if-revision": String(ifRevision) },
          false,
        );
        return r.revision;
      } catch (error) {
        const transient =
          error instanceof PlatformUnreachable ||
          (error instanceof PlatformHttpError && error.status >= 500 && error.status !== 501);
        if (error instanceof PlatformHttpError && error.status === 409 && /revision/.test(error.message)) {
          throw new ConcurrentChange(error.message);
        }
        if (!transient || attempt >= 8) throw error;
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 2000) * (0.5 + Math.random())));
        const now = await this.revision();
        if (now === ifRevision + 1) return now;
        if (now !== ifRevision)
          throw new ConcurrentChange(`revision moved from ${ifRevision} to ${now} during the call`);
      }
    }
  }
}
