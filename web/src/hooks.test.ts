// @vitest-environment jsdom
import { cleanup, renderHook, waitFor } from '@testing-library/react';
import { createElement, type ReactNode } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from './api.js';
import { useResource, type ResourceOptions } from './hooks.js';
import { ServicesProvider } from './services-context.js';
import { createServices } from './services.js';
import { MemoryStorage } from './test-support/memoryStorage.js';

afterEach(cleanup);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A load that answers each call after `delayMs` with the next of `answers` (an Error rejects), and counts overlaps. */
function scriptedLoad(answers: (number | Error)[], delayMs = 15) {
  const calls = { started: 0, inFlight: 0, maxInFlight: 0 };
  const load = async (signal: AbortSignal) => {
    const answer = answers[Math.min(calls.started, answers.length - 1)];
    calls.started += 1;
    calls.inFlight += 1;
    calls.maxInFlight = Math.max(calls.maxInFlight, calls.inFlight);
    try {
      // 0: answer in a microtask, before React has rendered the `loading` state of this load.
      await (delayMs > 0 ? sleep(delayMs) : Promise.resolve());
      if (signal.aborted) throw new ApiError(0, 'ABORTED', '');
      if (answer instanceof Error) throw answer;
      return answer;
    } finally {
      calls.inFlight -= 1;
    }
  };
  return { load, calls };
}

function renderResource(load: (signal: AbortSignal) => Promise<number>, options: ResourceOptions<number>) {
  const services = createServices(new MemoryStorage());
  const wrapper = ({ children }: { children: ReactNode }) => createElement(ServicesProvider, { services, children });
  const seen: { data: number | null; error: string | null }[] = [];
  const rendered = renderHook(
    () => {
      const resource = useResource('key', load, options);
      seen.push({ data: resource.data, error: resource.error?.errorCode ?? null });
      return resource;
    },
    { wrapper },
  );
  return { ...rendered, seen };
}

describe('useResource refresh', () => {
  it('loads again refreshMs after each answer, never two loads at once', async () => {
    const { load, calls } = scriptedLoad([1, 2, 3, 4]);
    const { result } = renderResource(load, { refreshMs: () => 5 });
    await waitFor(() => expect(result.current.data).toBe(4), { timeout: 2000 });
    expect(calls.maxInFlight).toBe(1);
  });

  it('keeps refreshing when each answer comes before React rendered the load as started', async () => {
    const { load } = scriptedLoad([1, 2, 3, 4], 0);
    const { result } = renderResource(load, { refreshMs: () => 5 });
    await waitFor(() => expect(result.current.data).toBe(4), { timeout: 2000 });
  });

  it('stops once refreshMs answers null for the data held, and starts when it answers a delay', async () => {
    const { load, calls } = scriptedLoad([1, 2, 3]);
    const { result } = renderResource(load, { refreshMs: (data) => (data !== null && data < 2 ? 5 : null) });
    await waitFor(() => expect(result.current.data).toBe(2), { timeout: 2000 });
    await sleep(100);
    expect(calls.started).toBe(2);
  });

  it('keeps the last data next to the error of a failed refresh, and goes on refreshing', async () => {
    const { load } = scriptedLoad([1, new ApiError(503, 'QUEUE_UNAVAILABLE', 'down'), 3]);
    const { result, seen } = renderResource(load, { refreshMs: () => 5 });
    await waitFor(() => expect(result.current.data).toBe(3), { timeout: 2000 });
    expect(result.current.error).toBeNull();
    expect(seen).toContainEqual({ data: 1, error: 'QUEUE_UNAVAILABLE' });
  });

  it('without refreshMs loads once', async () => {
    const { load, calls } = scriptedLoad([1, 2]);
    const { result } = renderResource(load, {});
    await waitFor(() => expect(result.current.data).toBe(1));
    await sleep(80);
    expect(calls.started).toBe(1);
  });
});
