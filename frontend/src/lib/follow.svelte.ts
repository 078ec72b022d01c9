// A value that follows a reactive source at most every `ms` milliseconds: at once when the last
// change is older than that, otherwise on a timer, and always to the newest value (a burst
// ends drawn). Updates arrive ten times a second; redrawing thousands of map edges or a
// table's rows that often costs the browser more than a reader can take in.

import { untrack } from 'svelte';

/**
 * Call during a component's setup (it creates an effect). `current` is the followed value;
 * `ms` is read on each change, so 0 makes it follow at once (as tests want).
 */
export function followAtMost<T>(source: () => T, ms: () => number): { readonly current: T } {
  let value = $state.raw(untrack(source));
  let at = 0;
  $effect(() => {
    const next = source();
    const wait = at + ms() - performance.now();
    const take = () => {
      at = performance.now();
      value = next;
    };
    if (wait <= 0) {
      take();
      return;
    }
    const timer = setTimeout(take, wait);
    return () => clearTimeout(timer);
  });
  return {
    get current() {
      return value;
    },
  };
}
