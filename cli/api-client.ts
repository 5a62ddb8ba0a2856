/**
 * A small client of the product's HTTP API for the operator CLI: one bearer key, JSON in and out,
 * and the API's error shape turned into an `ApiError` with its status and code.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Cancels the request (as Ctrl-C does a `tail`). */
  signal?: AbortSignal;
}

export type ApiCall = <T = unknown>(request: ApiRequest) => Promise<T>;

export interface ApiClientOptions {
  baseUrl: string;
  apiKey: string;
  /** Per request; the API answers well within it unless something is wrong. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export const createApiClient = ({ baseUrl, apiKey, timeoutMs = 30_000, fetch: fetchImpl = fetch }: ApiClientOptions): ApiCall => {
  const base = baseUrl.replace(/\/+$/, '');
  return async <T>({ method, path, query, body, headers, signal }: ApiRequest): Promise<T> => {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined) search.set(name, value);
    const url = `${base}${path}${search.size > 0 ? `?${search}` : ''}`;
    const response = await fetchImpl(url, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: signal === undefined ? AbortSignal.timeout(timeoutMs) : AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    }).catch((error: unknown) => {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`${method} ${url} failed: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    });
    const text = await response.text();
    const parsed = parseJson(text);
    if (!response.ok) {
      const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      const code = typeof error?.code === 'string' ? error.code : `http_${response.status}`;
      const message = typeof error?.message === 'string' ? error.message : text.slice(0, 200) || response.statusText;
      throw new ApiError(response.status, code, `${response.status} ${code}: ${message}`);
    }
    return parsed as T;
  };
};

const parseJson = (text: string): unknown => {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/**
 * Every item of a paginated list, following each page's `cursor` (100 items a request). The
 * request's own query is kept; `limit` and `cursor` are set here.
 */
export const allPages = async <T>(api: ApiCall, request: ApiRequest): Promise<T[]> => {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await api<{ items: T[]; cursor?: string }>({ ...request, query: { ...request.query, limit: '100', cursor } });
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return items;
};

/** API paths of one subscription and one event, the id escaped. */
export const subscriptionPath = (id: string): string => `/v1/subscriptions/${encodeURIComponent(id)}`;
export const eventPath = (id: string): string => `/v1/events/${encodeURIComponent(id)}`;
