/**
 * The part of autocannon 9 (which ships no types) that bench/load.ts uses; see its README
 * ("API" and "Results").
 */
declare module 'autocannon' {
  export interface Histogram {
    min: number;
    max: number;
    average: number;
    p50: number;
    p90: number;
    p99: number;
    p99_9: number;
  }

  export interface RawRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  }

  export interface Options {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    overallRate?: number;
    /** Seconds. */
    timeout?: number;
    requests?: { method?: string; path?: string; setupRequest?: (request: RawRequest, context: Record<string, unknown>) => RawRequest }[];
  }

  export interface Result {
    latency: Histogram;
    requests: Histogram & { total: number; sent: number };
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    mismatches: number;
    resets: number;
    statusCodeStats: Record<string, { count: number }>;
  }

  export interface Instance extends PromiseLike<Result> {
    stop(): void;
  }

  export default function autocannon(options: Options): Instance;
}
