// The stream's views, indexed by the namespaces their filters require. With 60 views, trying
// every filter on every flow was a tenth of the dashboard's CPU; a flow between two namespaces
// now meets only the views that could match it: those that require neither namespace-side
// term, and those pinned to one of its two namespaces.
export class ViewIndex<V extends { key: string }> {
  private readonly byKey = new Map<string, V>();
  private readonly anywhere = new Set<V>();
  private readonly byNamespace = new Map<string, Set<V>>();
  private readonly pins = new Map<V, readonly string[]>();

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): V | undefined {
    return this.byKey.get(key);
  }

  values(): IterableIterator<V> {
    return this.byKey.values();
  }

  /**
   * Adds a view. `namespaces`: a flow can only match if its source or destination is in one of
   * them (requiredNamespaces of the filter); absent or empty, any flow may.
   */
  add(v: V, namespaces?: readonly string[]): void {
    this.delete(v);
    this.byKey.set(v.key, v);
    if (!namespaces?.length) {
      this.anywhere.add(v);
      return;
    }
    const pins = [...new Set(namespaces)];
    this.pins.set(v, pins);
    for (const ns of pins) {
      let set = this.byNamespace.get(ns);
      if (!set) this.byNamespace.set(ns, (set = new Set()));
      set.add(v);
    }
  }

  delete(v: V): void {
    if (this.byKey.get(v.key) !== v) return;
    this.byKey.delete(v.key);
    this.anywhere.delete(v);
    for (const ns of this.pins.get(v) ?? []) {
      const set = this.byNamespace.get(ns);
      set?.delete(v);
      if (set?.size === 0) this.byNamespace.delete(ns);
    }
    this.pins.delete(v);
  }

  clear(): void {
    this.byKey.clear();
    this.anywhere.clear();
    this.byNamespace.clear();
    this.pins.clear();
  }

  /**
   * The namespaces one of which every flow any view may match touches; undefined while some
   * view may match a flow in any namespace.
   */
  pinnedNamespaces(): string[] | undefined {
    return this.anywhere.size > 0 ? undefined : [...this.byNamespace.keys()];
  }

  /** Calls `fn` once for each view a flow between these namespaces may match. */
  forCandidates(source: string | undefined, destination: string | undefined, fn: (v: V) => void) {
    for (const v of this.anywhere) fn(v);
    const a = source === undefined ? undefined : this.byNamespace.get(source);
    if (a) for (const v of a) fn(v);
    if (destination === undefined || destination === source) return;
    const b = this.byNamespace.get(destination);
    if (!b) return;
    // A view pinned to both namespaces was already called for the source.
    for (const v of b) if (!a?.has(v)) fn(v);
  }
}
