import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A webhook on a free local port that keeps every body posted to it, for `--notify URL`. */
export async function startWebhook(): Promise<{ url: string; received: string[]; close: () => void }> {
  const received: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      received.push(body);
      res.end();
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => server.close() };
}
