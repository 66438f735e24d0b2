import type { components } from "./wire.gen.js";

/**
 * The platform API's wire shapes, generated from schemas/platform-api.openapi.yaml (npm run gen),
 * shared by the client and the local platform so they are not written twice by hand.
 */
type Schemas = components["schemas"];
export type WireUserService = Schemas["UserService"];
export type WireContainer = Schemas["Container"];
export type WireDeploymentRequest = Schemas["DeploymentRequest"];
export type WireDeploymentInfo = Schemas["DeploymentInfo"];
export type WirePodStatus = Schemas["PodStatus"];
export type WireContainerStatus = Schemas["ContainerStatus"];
export type WireDomain = Schemas["Domain"];
export type WireMonitor = Schemas["Monitor"];
export type WireNoticePage = Schemas["NoticePage"];
export type WireConfigMaps = Schemas["ConfigMaps"];
export type WireCapabilities = Schemas["Capabilities"];
export type Capability = WireCapabilities["capabilities"][number];
