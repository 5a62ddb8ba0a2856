/**
 * A small client of the product's HTTP API for the operator CLI: one bearer key, JSON in and out,
 * and the API's error shape turned into an `ApiError` with its status and code. A body may also go
 * out as JSON text already written, and an answer come back with its text, where an event's data
 * must keep the exact text it was published with.
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
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | undefined>;
  /** Sent as JSON.stringify writes it. */
  body?: unknown;
  /** A body that is already JSON text, sent as it is (instead of `body`). */
  bodyText?: string;
  headers?: Record<string, string>;
  /** Cancels the request (as Ctrl-C does a `tail`). */
  signal?: AbortSignal;
}

/** The parsed answer of a request. */
export type ApiCall = <T = unknown>(request: ApiRequest) => Promise<T>;

/** An answer both parsed and as the text the API sent, whose numbers JSON.parse may have rounded. */
export interface ApiAnswer<T> {
  value: T;
  text: string;
}

export type ApiClient = ApiCall & {
  answer: <T = unknown>(request: ApiRequest) => Promise<ApiAnswer<T>>;
};

export interface ApiClientOptions {
  baseUrl: string;
  apiKey: string;
  /** Per request; the API answers well within it unless something is wrong. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export const createApiClient = ({ baseUrl, apiKey, timeoutMs = 30_000, fetch: fetchImpl = fetch }: ApiClientOptions): ApiClient => {
  const base = baseUrl.replace(/\/+$/, '');
  const answer = async <T>({ method, path, query, body, bodyText, headers, signal }: ApiRequest): Promise<ApiAnswer<T>> => {
    const payload = bodyText ?? (body === undefined ? undefined : JSON.stringify(body));
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined) search.set(name, value);
    const url = `${base}${path}${search.size > 0 ? `?${search}` : ''}`;
    const response = await fetchImpl(url, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(payload === undefined ? {} : { body: payload }),
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
    return { value: parsed as T, text };
  };
  const call = async <T>(request: ApiRequest): Promise<T> => (await answer<T>(request)).value;
  return Object.assign(call, { answer });
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

/** API paths of one subscription, one event and one consumer, the id escaped. */
export const subscriptionPath = (id: string): string => `/v1/subscriptions/${encodeURIComponent(id)}`;
export const eventPath = (id: string): string => `/v1/events/${encodeURIComponent(id)}`;
export const consumerPath = (id: string): string => `/v1/consumers/${encodeURIComponent(id)}`;
