// Embeddings of videos with trained encoders (`gdt embed`) and nearest-neighbour search over them
// (`gdt search`), usable from TypeScript.
export { embedVideos, type EmbedOptions, type EmbedResult } from './embed.js';
export { searchIndex, type SearchOptions, type SearchResult, type SearchHit } from './search.js';
export { readEmbeddingIndex, indexPaths, type EmbeddingIndex, type EmbedMeta, type IndexRow, type IndexPaths } from './index-files.js';
export { resolveSettings, embeddingDim, embeddingParts, MODALITIES, LEVELS, type EmbedSettings, type EmbedSettingsInput, type Modality, type EmbedLevel } from './settings.js';
export { resolveInputs, VIDEO_EXTENSIONS } from './inputs.js';
export { Embedder } from './embedder.js';
export { embedVideoFile, type EmbeddedVideo } from './query.js';
