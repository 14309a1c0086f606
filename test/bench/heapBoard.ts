// Free heap of a board with its policy loaded (see heapProbe.ts).
import { loadBoard, probeFreeHeap } from "./heapProbe"

await loadBoard()
await probeFreeHeap()
