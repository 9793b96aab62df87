// @libvq/dataset/arrow: the Arrow building blocks of the schemas that travel between packages (vectors as
// FixedSizeList<Float32>, ids, token lists), for packages that write such tables themselves.
export { recordBatch, schemaFor } from './arrow/batch.js';
export { fixedSizeListData, idsData } from './arrow/columns.js';
