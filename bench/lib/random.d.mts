// Types of random.mjs.
export function randomSource(seed: number): () => number;
