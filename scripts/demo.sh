#!/usr/bin/env bash
# The main job on the local platform: start it, deploy examples/hello, and show it serving.
# (Until `svc apply` exists this posts the deployment to the platform API with the saved token.)
set -euo pipefail
cd "$(dirname "$0")/.."

node bin/run.js validate examples/hello
node bin/run.js local up
home="${SVC_HOME:-${XDG_STATE_HOME:-$HOME/.local/state}/svc}/local"
token="$(cat "$home/tokens/local")"
read -r host secret < <(node -e '
  import("./dist/platform/token.js").then(({ decodeToken }) => {
    const t = decodeToken(process.argv[1]); console.log(t.host, t.secret);
  });' "$token")
deployment='{"containers":[{"name":"web","imageName":"svc-examples/hello:1.0","ports":[{"containerPort":8080,"hostPort":18080}],"command":["/bin/httpd","-f","-v","-p","8080","-h","/www"],"mountPath":"/var/lib/hello"}]}'
path=/api/v1/k8s/deployment
curl -fs -o /dev/null -H "secret: $secret" "$host/api/v1/k8s/deployment/info" && path=/api/v1/k8s/deployment/update
curl -fsS -H "secret: $secret" -H 'content-type: application/json' -d "$deployment" "$host$path" >/dev/null
echo "deployed hello; fetching http://127.0.0.1:18080/"
for _ in $(seq 1 30); do curl -fsS http://127.0.0.1:18080/ && exit 0; sleep 1; done
echo "hello did not answer on http://127.0.0.1:18080/" >&2
exit 1
