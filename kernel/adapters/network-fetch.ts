// SYS_NETWORK_FETCH's host side (docs/adapters.md): parse the guest's HttpRequest JSON, check the
// URL's host against the machine description's allow-list (empty by default: no network), fetch it
// with a timeout and a response size limit, and answer with an HttpResponse JSON. Every failure is
// an answer, never an exception: the guest's JSON can be anything.

import type { HttpRequestJson, HttpResponseJson, NetworkErrorJson } from "../abi/adapters";

/** The machine description's "network" section, defaults filled in. */
export interface NetworkPolicy {
  /** Hosts a program may reach: "host" (any port) or "host:port"; names compare without case. */
  readonly allow: readonly string[];
  /** Wall ms before a fetch is abandoned with Timeout (a request's timeout_ms may only lower it). */
  readonly timeoutMs: number;
  /** Response body bytes beyond which the fetch is abandoned. */
  readonly maxResponseBytes: number;
}

export const DEFAULT_NETWORK_POLICY: NetworkPolicy = { allow: [], timeoutMs: 10_000, maxResponseBytes: 1 << 20 };

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

export type ParsedRequest =
  | {
      ok: true;
      method: string;
      url: URL;
      headers: [string, string][];
      body: ArrayBuffer | undefined;
      timeoutMs: number;
    }
  | { ok: false; response: HttpResponseJson };

export function failure(error: NetworkErrorJson, message: string): HttpResponseJson {
  return { result: { Err: error }, message };
}

/** Check the request's shape and the policy; the fetch itself is `fetchRequest`. */
export function parseRequest(json: string, policy: NetworkPolicy): ParsedRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      response: failure({ Other: `bad request: not JSON (${why})` }, `bad request: not JSON (${why})`),
    };
  }
  const bad = (what: string) => ({
    ok: false as const,
    response: failure({ Other: `bad request: ${what}` }, `bad request: ${what}`),
  });
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return bad("the HttpRequest must be a JSON object");
  const r = raw as Partial<Record<keyof HttpRequestJson, unknown>>;
  const method = typeof r.method === "string" ? r.method.toUpperCase() : undefined;
  if (method === undefined || !METHODS.includes(method))
    return bad(
      `"method" must be one of Get, Post, Put, Delete, Patch, Head, Options (got ${JSON.stringify(r.method)})`,
    );
  if (typeof r.url !== "string") return bad(`"url" must be a string`);
  let url: URL;
  try {
    url = new URL(r.url);
  } catch {
    return { ok: false, response: failure("InvalidUrl", `invalid URL ${JSON.stringify(r.url)}`) };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return {
      ok: false,
      response: failure("InvalidUrl", `only http and https URLs can be fetched (got ${url.protocol})`),
    };
  const headers: [string, string][] = [];
  if (r.headers !== undefined && r.headers !== null) {
    if (!Array.isArray(r.headers)) return bad(`"headers" must be a list of [name, value] pairs`);
    for (const h of r.headers) {
      if (!Array.isArray(h) || h.length !== 2 || typeof h[0] !== "string" || typeof h[1] !== "string")
        return bad(`"headers" must be a list of [name, value] pairs of strings`);
      headers.push([h[0], h[1]]);
    }
  }
  let body: ArrayBuffer | undefined;
  if (r.body !== undefined && r.body !== null) {
    if (!Array.isArray(r.body) || !r.body.every((b) => Number.isInteger(b) && b >= 0 && b <= 255))
      return bad(`"body" must be null or a list of byte values 0..255`);
    body = Uint8Array.from(r.body as number[]).buffer;
  }
  let timeoutMs = policy.timeoutMs;
  if (typeof r.timeout_ms === "number" && Number.isFinite(r.timeout_ms) && r.timeout_ms > 0)
    timeoutMs = Math.min(timeoutMs, r.timeout_ms);
  if (!allowed(url, policy.allow)) {
    const host = url.host;
    const message = `host ${host} is not in the machine's network allow-list (${policy.allow.length === 0 ? "empty: no host may be reached" : policy.allow.join(", ")}); add "${host}" to "network": { "allow": [...] } in the machine description to let programs reach it`;
    return { ok: false, response: failure("PolicyDenied", message) };
  }
  return { ok: true, method, url, headers, body, timeoutMs };
}

/** "host" allows every port of the host, "host:port" one port. IPv6 literals in brackets. */
export function allowed(url: URL, allow: readonly string[]): boolean {
  const hostname = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return allow.some((entry) => {
    const e = entry.toLowerCase();
    return e === hostname || e === `${hostname}:${port}`;
  });
}

/** The fetch; resolves with the response JSON in every case. No redirects are followed (a redirect
 *  could lead outside the allow-list): a 3xx comes back as it is, with its Location header. */
export async function fetchRequest(
  request: Extract<ParsedRequest, { ok: true }>,
  policy: NetworkPolicy,
): Promise<HttpResponseJson> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, request.timeoutMs);
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body && request.method !== "GET" && request.method !== "HEAD" ? request.body : undefined,
      redirect: "manual",
      signal: controller.signal,
    });
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.length;
        if (size > policy.maxResponseBytes) {
          controller.abort();
          return failure(
            { Other: `response body larger than ${policy.maxResponseBytes} bytes` },
            `the response from ${request.url.host} is larger than ${policy.maxResponseBytes} bytes (network.maxResponseBytes in the machine description)`,
          );
        }
        chunks.push(value);
      }
    }
    const body = Buffer.concat(chunks);
    const headers: [string, string][] = [];
    response.headers.forEach((value, name) => headers.push([name, value]));
    return { result: { Ok: { status: response.status, headers, body: [...body] } } };
  } catch (error) {
    if (timedOut)
      return failure(
        "Timeout",
        `${request.url.host} did not answer within ${request.timeoutMs} ms (network.timeoutMs in the machine description)`,
      );
    return failure(classify(error), `fetching ${request.url.href} failed: ${describe(error)}`);
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  const inner = cause instanceof Error ? `: ${cause.message}` : "";
  return `${error instanceof Error ? error.message : String(error)}${inner}`;
}

function classify(error: unknown): NetworkErrorJson {
  const code = String((error as { cause?: { code?: unknown } }).cause?.code ?? "");
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "DnsError";
  if (/CERT|TLS|SSL/.test(code)) return "TlsError";
  if (code === "ECONNREFUSED" || code === "ECONNRESET" || code === "EHOSTUNREACH" || code === "ENETUNREACH")
    return "ConnectionFailed";
  return { Other: describe(error) };
}
