// The two evaluation protocols, as labelled in every results.json and report.html.
import type { EvalCommand, EvalProtocol } from './config.js';

const DESCRIPTIONS: Record<EvalCommand, Record<EvalProtocol, string>> = {
  finetune: {
    reference:
      "eval_video.py's protocol (SPEC 9.1, 13.5): the model is tested on the test split after every epoch from train.evalFromEpoch on (epochs 7..11 of 12) and the best video-level top-1 (with its top-5) is reported — model selection on the test set. Test views keep the reference's random short side in the jitter range and its colour jitter (p 0.8).",
    clean:
      'Reference training (SPEC 9.1) but an honest test: deterministic test views (short side = crop size, left/centre/right crops at 10 uniformly spaced starts, no colour jitter) and the result of the last epoch, with no selection on the test set.',
  },
  linear: {
    reference:
      'Frozen backbone (eval mode), features of random training clips (random start, short-side jitter, random crop and flip, sampled once) and of test views with the reference\'s random short side (colour jitter on both when features.colorJitter); logistic regression with the L2 penalty chosen on a held-out validation split of the training set; test logits averaged over each video\'s views.',
    clean:
      "Frozen backbone (eval mode), features of deterministic views (training: uniformly spaced clips, centre crop; test: 10 clips x 3 crops at short side = crop size); logistic regression with the L2 penalty chosen on a held-out validation split of the training set (whole groups per class); test logits averaged over each video's views.",
  },
  knn: {
    reference: 'Weighted kNN (vote weight exp(cos / T)) of L2-normalised video features (mean of L2-normalised clip features) against the training videos; training clips are random train views, test views have the reference\'s random short side.',
    clean: 'Weighted kNN (vote weight exp(cos / T)) of L2-normalised video features (mean of L2-normalised clip features of deterministic views) against the training videos.',
  },
  retrieval: {
    reference:
      "SeLaVi's video retrieval (video_retrieval.py): 10 random training clips and 10 centre-cropped test clips per video, L2-normalised clip features averaged per video, test videos query training videos by Euclidean distance; R@k = queries with a same-class video among the k nearest.",
    clean: "SeLaVi's recall@k on deterministic views: uniformly spaced centre-cropped clips for training and test videos, L2-normalised clip features averaged per video, Euclidean nearest training videos; R@k = queries with a same-class video among the k nearest.",
  },
  audio: {
    reference: 'Same as clean (the reference has no audio evaluation).',
    clean:
      'Frozen audio encoder (eval mode) on log-filterbank spectrograms of uniformly spaced windows of each file (no augmentation); logistic regression with the L2 penalty chosen on held-out training folds; test logits averaged over each file\'s windows; ESC-50 leave-one-fold-out.',
  },
};

export function protocolDescription(command: EvalCommand, protocol: EvalProtocol): string {
  return DESCRIPTIONS[command][protocol];
}
