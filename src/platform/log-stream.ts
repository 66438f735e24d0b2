import type { PlatformHttp } from "./http.js";

/**
 * A container's log lines. With logs-query (`plain`) the provider cuts and follows; otherwise the
 * public SSE stream is read and cut here (sseLines).
 */
export async function* logLines(
  http: PlatformHttp,
  container: string,
  options: { tail?: number; follow?: boolean; since?: number; signal?: AbortSignal; plain: boolean },
): AsyncGenerator<string> {
  const { plain } = options;
  const query = new URLSearchParams({ container });
  if (plain) {
    if (options.tail !== undefined) query.set("tail", String(options.tail));
    query.set("follow", String(Boolean(options.follow)));
    if (options.since !== undefined) query.set("since", String(options.since));
  }
  const stop = new AbortController();
  const abort = () => stop.abort();
  options.signal?.addEventListener("abort", abort);
  let response: Response | undefined;
  try {
    response = await http.open(`/api/v1/k8s/pod/logs?${query}`, stop, options.signal);
  } catch (error) {
    options.signal?.removeEventListener("abort", abort);
    throw error;
  }
  if (!response) {
    options.signal?.removeEventListener("abort", abort);
    return;
  }
  if (!response.ok || !response.body) throw await http.failure(response, "logs");
  try {
    const chunks = textChunks(response.body);
    if (plain) {
      yield* splitLines(chunks);
      return;
    }
    yield* sseLines(chunks, {
      ...(options.tail !== undefined ? { tail: options.tail } : {}),
      follow: Boolean(options.follow),
      stop: abort,
    });
  } catch (error) {
    if (!stop.signal.aborted) throw error;
  } finally {
    options.signal?.removeEventListener("abort", abort);
    stop.abort();
  }
}

async function* textChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>)
    yield decoder.decode(chunk, { stream: true });
}

async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of chunks) {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    yield* lines;
  }
  if (rest) yield rest;
}

const DISCONNECTED = "logger - Client disconnected.";

/**
 * The public SSE log stream: `data:` payloads (a JSON string, or raw text), the platform's own
 * "client disconnected" line skipped. It never ends by itself: with a tail, what arrives before
 * it goes quiet for 1 s is cut to the last lines; without follow, reading stops after 2 s quiet
 * or 10 s in all.
 */
export async function* sseLines(
  chunks: AsyncIterable<string>,
  options: { tail?: number; follow: boolean; stop: () => void },
): AsyncGenerator<string> {
  const pending: string[] = [];
  let waiting: (() => void) | undefined;
  let ended = false;
  const wake = () => {
    waiting?.();
    waiting = undefined;
  };
  void (async () => {
    try {
      for await (const line of splitLines(chunks)) {
        if (!line.startsWith("data:")) continue;
        const payload = line.slice(5).replace(/^ /, "");
        let text = payload;
        try {
          const parsed = JSON.parse(payload);
          if (typeof parsed === "string") text = parsed;
        } catch {
          // raw text payload
        }
        if (text === DISCONNECTED) continue;
        pending.push(text);
        wake();
      }
    } catch {
      // aborted or cut: the end
    }
    ended = true;
    wake();
  })();
  const next = (ms: number) =>
    new Promise<boolean>((resolve) => {
      if (pending.length || ended) return resolve(true);
      const timer = setTimeout(() => resolve(false), ms);
      waiting = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  const started = Date.now();
  // The backlog: what arrives until the stream first goes quiet (10 s at most). Following with no
  // tail, there is nothing to cut: lines pass straight through.
  if (!options.follow || options.tail !== undefined) {
    const quiet = options.follow ? 1000 : 2000;
    let backlog: string[] = [];
    for (;;) {
      const more = await next(quiet);
      backlog.push(...pending.splice(0));
      if (!more || ended || Date.now() - started >= 10_000) break;
    }
    if (options.tail !== undefined) backlog = options.tail === 0 ? [] : backlog.slice(-options.tail);
    yield* backlog;
    if (!options.follow) {
      options.stop();
      return;
    }
  }
  for (;;) {
    await next(60_000);
    if (pending.length) yield* pending.splice(0);
    else if (ended) return;
  }
}
