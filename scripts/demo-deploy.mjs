// Deploys examples/hello to target `local` through the platform API, with the token resolved the
// way every svc command resolves it (SVC_TOKEN_LOCAL, else the OS keychain). Temporary: `svc
// apply` replaces it.
import { Credentials } from "../dist/credentials/credentials.js";

const { value: token } = await new Credentials().token("local");
const headers = { secret: token.secret, "content-type": "application/json" };
const deployment = {
  containers: [
    {
      name: "web",
      imageName: "svc-examples/hello:1.0",
      ports: [{ containerPort: 8080, hostPort: 18080 }],
      command: ["/bin/httpd", "-f", "-v", "-p", "8080", "-h", "/www"],
      mountPath: "/var/lib/hello",
    },
  ],
};
const existing = await fetch(`${token.host}/api/v1/k8s/deployment/info`, { headers });
const path = existing.ok ? "/api/v1/k8s/deployment/update" : "/api/v1/k8s/deployment";
const response = await fetch(`${token.host}${path}`, {
  method: "POST",
  headers,
  body: JSON.stringify(deployment),
});
if (!response.ok) {
  console.error(`deploy failed: ${response.status} ${await response.text()}`);
  process.exit(1);
}
console.log("deployed hello");
