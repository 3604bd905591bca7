/** What jsdom lacks and @grafana/ui expects of a browser. */
import '@testing-library/jest-dom';
import { TextDecoder, TextEncoder } from 'util';

Object.assign(global, { TextEncoder, TextDecoder });

// Tests that run in the node environment (the build test) have no window.
if (typeof window !== 'undefined' && !window.matchMedia) {
  Object.defineProperty(window, 'matchMedia', {
    writable: true,
    value: (query: string) => ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => {},
      removeListener: () => {},
      addEventListener: () => {},
      removeEventListener: () => {},
      dispatchEvent: () => false,
    }),
  });
}

class NoopObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
}
if (typeof window !== 'undefined') {
  Object.assign(global, { ResizeObserver: global.ResizeObserver ?? NoopObserver, IntersectionObserver: global.IntersectionObserver ?? NoopObserver });
  HTMLCanvasElement.prototype.getContext = (() => null) as never;
}
