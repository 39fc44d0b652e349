/** Persistence: the StateStore contract, its file and memory implementations, and ordered processing. */
export * from './types.js'
export { MemoryStore } from './memory.js'
export { FileStore, type FileStoreOptions, type WriteStep } from './file.js'
export { OrderedProcessor, processInOrder, type Apply, type AfterPersist, type Checkpoint, type Outcome } from './ordered.js'
