// Free heap with nothing loaded (see heapProbe.ts).
import { probeFreeHeap } from "./heapProbe"

await probeFreeHeap()
