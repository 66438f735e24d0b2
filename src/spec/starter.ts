import { envVar } from "../credentials/names.js";

/** The commented starter manifest written by `svc init`. */
export function starterManifest(options: {
  name: string;
  target: string;
  image: string;
  schemaRef: string;
}): string {
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
      image: ${options.image}
      units: 1 # 1, 2, 4, 8 or 16; all containers together must fit the units bought
      ports:
        - 8080 # or "host:container/protocol"; host ports only on services bought with specified ports
      # env:
      #   LOG_LEVEL: info
      #   DB_PASSWORD: { secret: db-password } # kept with \`svc secret set db-password\`, never printed
      # storage: /var/lib/app # persistent storage mount (services bought with storage)
      # ready: { http: /healthz } # when apply counts it ready; default: its ports answer
      # command: [/app/server]
      # args: [--port, "8080"]
      # files:
      #   - { source: ./app.conf, target: /etc/app/app.conf }
  # domains:
  #   - { name: app.example.com, port: 8080, https: true }
`;
}
