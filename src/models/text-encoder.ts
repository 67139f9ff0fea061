// The word2vec text encoder of video-text GDT (SPEC 3.4) and the HowTo100M caption tokenisation.
import { torch, nn } from '../index.js';
import type { Tensor } from '../torch/index.js';
import type { MacTraceable, MacTracer, Shape } from './flops.js';
import { loadTorchFile } from '../io/index.js';
import { readNpyStrings } from './npy.js';

export interface TextEncoderOptions {
  /** Rows of the embedding table when no pretrained matrix is given (66250). */
  numEmbeddings?: number;
  /** Word vector size when no pretrained matrix is given (300). */
  embeddingDim?: number;
  /** fc1 output size (2048). */
  outputDim?: number;
  /** Pretrained word2vec matrix (the reference's word2vec.pth); loaded frozen. */
  embedding?: Tensor;
}

/**
 * Embedding lookup (frozen when pretrained, no gradient in any case) -> fc1 -> ReLU -> max over
 * the word positions: (B, L) int64 ids -> (B, 2048). Padding ids (0) are not masked: their row
 * competes in the max like any word, as in the reference.
 */
export class Word2VecTextEncoder extends nn.Module implements MacTraceable {
  readonly wordEmbd: nn.Embedding;
  readonly fc1: nn.Linear;
  readonly outputDim: number;
  constructor(o: TextEncoderOptions = {}) {
    super();
    this.wordEmbd = this.registerModule(
      'word_embd',
      o.embedding ? nn.Embedding.fromPretrained(o.embedding, { freeze: true }) : new nn.Embedding(o.numEmbeddings ?? 66250, o.embeddingDim ?? 300),
    );
    this.outputDim = o.outputDim ?? 2048;
    this.fc1 = this.registerModule('fc1', new nn.Linear(this.wordEmbd.embeddingDim, this.outputDim));
  }
  forward(ids: Tensor): Tensor {
    return torch.tidy(() => {
      // The reference looks words up under no_grad: the table never gets a gradient.
      const e = torch.noGrad(() => this.wordEmbd.forward(ids));
      const [values] = torch.F.relu(this.fc1.forward(e)).max(1);
      return values;
    });
  }
  traceMacs(t: MacTracer, [x]: readonly Shape[]): Shape[] {
    const h = t.child('fc1', this.fc1, t.child('word_embd', this.wordEmbd, x!));
    return [[h[0]!, h[2]!]];
  }
}

// Python's `[\w']+` on str: \w is Unicode letters, numbers and the underscore.
const WORD = /[\p{L}\p{N}_']+/gu;

/** The words of a caption as the reference finds them: runs of `[\w']`. */
export function splitWords(caption: string): string[] {
  return caption.match(WORD) ?? [];
}

/**
 * The dictionary of the reference (`dict.npy`): entry i has token id i + 1 (0 is padding).
 * Matching is exact and case-sensitive; unknown words are dropped, not replaced.
 */
export class WordDictionary {
  private readonly ids = new Map<string, number>();
  constructor(readonly words: readonly string[]) {
    // A repeated word keeps its last position (a Python dict filled in order).
    words.forEach((w, i) => this.ids.set(w, i + 1));
  }
  get size(): number {
    return this.words.length;
  }
  idOf(word: string): number | undefined {
    return this.ids.get(word);
  }
  /** Token ids of a caption, truncated to `maxWords` or right-padded with 0 (the dataset uses 20). */
  tokenize(caption: string, maxWords = 20): number[] {
    const out: number[] = [];
    for (const w of splitWords(caption)) {
      const id = this.ids.get(w);
      if (id !== undefined) out.push(id);
      if (out.length === maxWords) break;
    }
    while (out.length < maxWords) out.push(0);
    return out;
  }
  /** A (B, maxWords) int64 batch of token ids. */
  encode(captions: readonly string[], maxWords = 20): Tensor {
    return torch.tensor(captions.map((c) => this.tokenize(c, maxWords)), { dtype: 'int64' }).reshape(captions.length, maxWords);
  }
}

/**
 * The encoder and its dictionary from the reference's files, already read: the word2vec matrix
 * (word2vec.pth, a torch-saved (N, 300) tensor) and the word list (dict.npy, see readNpyStrings).
 */
export function textEncoderFromPretrained(
  embedding: Tensor,
  words: readonly string[],
  o: Omit<TextEncoderOptions, 'embedding' | 'numEmbeddings' | 'embeddingDim'> = {},
): { encoder: Word2VecTextEncoder; dictionary: WordDictionary } {
  if (embedding.ndim !== 2) throw new RangeError(`word2vec matrix must be 2-D, got [${embedding.shape.join(', ')}]`);
  // Ids run from 1 to words.length (0 = padding); a table much smaller than that is a mismatch.
  if (embedding.shape[0]! < words.length) {
    throw new RangeError(`word2vec matrix has ${embedding.shape[0]} rows but the dictionary has ${words.length} words`);
  }
  return { encoder: new Word2VecTextEncoder({ ...o, embedding }), dictionary: new WordDictionary(words) };
}

/**
 * The reference's word2vec.pth: a torch-saved (N, 300) float tensor (a dict holding a single
 * tensor, e.g. {'weight': ...}, is accepted too). The caller owns the returned tensor.
 */
export async function loadWord2Vec(path: string): Promise<Tensor> {
  const loaded = await loadTorchFile(path);
  if (loaded instanceof torch.Tensor) return loaded;
  if (loaded instanceof Map) {
    const tensors = [...loaded.values()].filter((v): v is Tensor => v instanceof torch.Tensor);
    if (tensors.length === 1) return tensors[0]!;
    torch.disposeAll(loaded);
  }
  throw new Error(`${path}: expected a torch-saved word2vec matrix (one 2-D tensor)`);
}

/** Text encoder + dictionary from the reference's files: word2vec.pth and dict.npy. */
export async function loadTextEncoderFiles(
  word2vecPath: string,
  dictPath: string,
  o: Omit<TextEncoderOptions, 'embedding' | 'numEmbeddings' | 'embeddingDim'> = {},
): Promise<{ encoder: Word2VecTextEncoder; dictionary: WordDictionary }> {
  const words = readNpyStrings(dictPath);
  const table = await loadWord2Vec(word2vecPath);
  const f32 = table.float();
  try {
    return textEncoderFromPretrained(f32, words, o);
  } finally {
    f32.dispose();
    table.dispose();
  }
}
