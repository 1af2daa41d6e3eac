import type { Store } from "../../src/domain/repositories.ts";

/**
 * A store whose key look-up by hash can be held between the database read and the caller getting
 * its row (where verify caches it), and counted.
 */
export function instrumentedStore(store: Store) {
  const hooks = { lookups: 0, hold: null as Promise<void> | null, readDone: () => {} };
  const apiKeys = new Proxy(store.apiKeys, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (prop !== "findByHash") return typeof value === "function" ? value.bind(target) : value;
      return async (hash: string) => {
        hooks.lookups++;
        const row = await target.findByHash(hash);
        const hold = hooks.hold;
        if (hold !== null) {
          hooks.readDone();
          await hold;
        }
        return row;
      };
    },
  });
  const proxied = new Proxy(store, {
    get(target, prop) {
      if (prop === "apiKeys") return apiKeys;
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  /** The next look-up reads, says so (the promise resolves), and waits for `release`. */
  const holdNextRead = () => {
    let release!: () => void;
    hooks.hold = new Promise<void>((r) => (release = r));
    const read = new Promise<void>((r) => (hooks.readDone = r));
    return {
      read,
      release: () => {
        hooks.hold = null;
        release();
      },
    };
  };
  return { store: proxied, hooks, holdNextRead };
}
