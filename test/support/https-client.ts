import { request as plainRequest } from 'node:http';
import { request } from 'node:https';

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): unknown;
}

/** A real HTTPS request through Node's TLS stack, trusting only the given CA (as the API server would). */
export function httpsRequest(
  url: string,
  options: { method?: string; ca?: string | Buffer; headers?: Record<string, string>; body?: string | Buffer },
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', ca: options.ca, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout waiting for ${url}`)));
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export function postJson(url: string, ca: string | Buffer, body: unknown): Promise<HttpResult> {
  return httpsRequest(url, {
    method: 'POST',
    ca,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** The body of a plain-HTTP GET, e.g. of meshguard's /metrics listener. */
export function httpGetText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    plainRequest(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}
