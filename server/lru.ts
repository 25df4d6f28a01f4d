/**
 * A least-recently-used cache bounded by the total size of its values (the caller says what a value
 * costs, e.g. its length in characters). A value larger than half the budget is not kept.
 */
export class Lru<V> {
  private readonly items = new Map<string, { value: V; size: number }>();
  private used = 0;

  constructor(private readonly budget: number) {}

  get size(): number {
    return this.items.size;
  }

  get(key: string): V | undefined {
    const item = this.items.get(key);
    if (item === undefined) return undefined;
    // Most recently used last: Map keeps insertion order.
    this.items.delete(key);
    this.items.set(key, item);
    return item.value;
  }

  set(key: string, value: V, size: number): void {
    this.delete(key);
    if (size > this.budget / 2) return;
    this.items.set(key, { value, size });
    this.used += size;
    for (const [oldest, item] of this.items) {
      if (this.used <= this.budget) break;
      this.items.delete(oldest);
      this.used -= item.size;
    }
  }

  delete(key: string): void {
    const item = this.items.get(key);
    if (item === undefined) return;
    this.items.delete(key);
    this.used -= item.size;
  }
}
