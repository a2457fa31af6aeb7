// The seeded generator every emulator draws its faults from, so a failing run replays
// from its seed. mulberry32: 32 bits of state, fast, and the same sequence for a seed on
// every platform; good enough to pick faults, not for secrets. (src/connectors/memory has
// its own copy: emulators import nothing from src/, and src/ nothing from emulators/.)
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
