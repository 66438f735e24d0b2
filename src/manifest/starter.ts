import { envVar } from "../credentials/names.js";

/** The example image the starter runs by default: built offline by examples/build-images.sh. */
export const STARTER_IMAGE = "svc-examples/hello:1.0";

/**
 * The commented starter manifest written by `svc init`. With the defaults it applies as is on the
 * local platform's `local` service: the example image, the command that serves its port, and
 * storage mounted (that service was bought with storage, which must be mounted somewhere).
 */
export function starterManifest(options: {
  name: string;
  target: string;
  image: string;
  schemaRef: string;
}): string {
  const example = options.image === STARTER_IMAGE;
  const local = options.target === "local";
  return `# yaml-language-server: $schema=${options.schemaRef}
# svc manifest (apiVersion svc/v1). Every field is described in the schema above (editor hovers)
# and in the "Manifest reference" section of the svc README.
# Check it with \`svc validate\`, see what would change with \`svc plan\`, deploy with \`svc apply\`.
apiVersion: svc/v1
kind: Service
metadata:
  name: ${options.name} # lower-case letters, digits, dashes; unique in the repository
  description: ""
  labels: {}
spec:
  # The user service to deploy into: a credential added with \`svc login ${options.target}\`
  # (or ${envVar("target", options.target)} in CI).
  target: ${options.target}
  containers:
    - name: web
      # Pin a version or digest: "latest" may not roll out. \${VAR:-default} reads the environment.
      image: ${options.image}${example ? " # an example image svc's examples/build-images.sh builds offline" : ""}
      units: 1 # 1, 2, 4, 8 or 16; all containers together must fit the units bought
      ports:
        - 8080 # or "host:container/protocol"; host ports only on services bought with specified ports
      # env:
      #   LOG_LEVEL: info
      #   DB_PASSWORD: { secret: db-password } # kept with \`svc secret set db-password\`, never printed
      ${local ? "" : "# "}storage: /var/lib/app # persistent storage; a service bought with storage must mount it
      # ready: { http: /healthz } # when apply counts it ready; default: its ports answer
      ${example ? "" : "# "}command: [/bin/httpd, -f, -p, "8080", -h, /www]${example ? " # serves port 8080" : ""}
      # args: [--verbose]
      # files:
      #   - { source: ./app.conf, target: /etc/app/app.conf }
  # domains:
  #   - { name: app.example.com, port: 8080, https: true }
`;
}
