// @libvq/dataset/formats: each file format on its own (the main entry's readVectors / openVectors choose by
// extension): .npy, .fvecs, .memmap (and random row access to them, openRowReader), Arrow IPC, the raw TSV inputs
// and the token / id / rels tables.
export { readNpy, writeNpy, npyHeaderF32, parseNpyHeader, readNpyHeader, type NpyHeader } from './vectors/npy.js';
export { readFvecs, writeFvecs } from './vectors/fvecs.js';
export { readMemmap, writeMemmap } from './vectors/memmap.js';
export { openRowReader, type RowReader, type RowReaderOptions } from './vectors/row-reader.js';
export { readArrowTable, openArrowBatches, writeArrowFile } from './arrow/ipc.js';
export { readTokenFile, streamTokenFile, tokensBatch, tokensSchema, concatTokenRows, tokenRow } from './arrow/tokens-table.js';
export { writeRelsTable } from './arrow/rels-table.js';
export { readIdMapFile, writeIdMapFile } from './arrow/ids-table.js';
export { loadRels, loadNegatives, type Rels } from './raw/rels.js';
export { loadTextFile, TextRecordStream, type TextFile, type TextRecord } from './raw/text-records.js';
export { rawTextPath } from './preprocess/layout.js';
export { readLineBatches } from './io/lines.js';
export { countLines } from './io/count-lines.js';
