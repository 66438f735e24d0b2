/** A container built from the repository (`build:`): its context's hash and whether apply builds it. */
export interface PlannedBuild {
  container: string;
  /** The context directory, relative to the working directory. */
  context: string;
  dockerfile: string;
  args: Record<string, string>;
  target?: string;
  /** sha256 of the context as the engine receives it (.dockerignore applied), Dockerfile, args, target. */
  hash: string;
  /** `repo:svc-<hash>`: where the build is pushed; its digest is what is deployed. */
  tag: string;
  /** The registry holds no image for this hash yet: apply builds and pushes it first. */
  build: boolean;
}
