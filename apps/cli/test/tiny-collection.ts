import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadGloveVectors } from '@libvq/glove';

/**
 * A small LibVQ-layout collection from GloVe vocabulary words (so glove-100 knows them): `topics` topics of
 * 40 words each; every document draws a title and a body mostly from one topic; every query takes words of one
 * document, which is judged grade 2, and another document of the same topic grade 1. Seeded: same seed, same files.
 */
export async function writeTinyCollection(dir: string, o: { docs?: number; queries?: number; topics?: number; seed?: number } = {}): Promise<void> {
  const nDocs = o.docs ?? 300;
  const nQueries = o.queries ?? 60;
  const nTopics = o.topics ?? 12;
  let s = (o.seed ?? 7) >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)];
  const { words } = await loadGloveVectors();
  // Frequent plain words, skipping the first few hundred (function words).
  const vocab = words.slice(300, 20000).filter((w) => /^[a-z]{4,}$/.test(w)).slice(0, nTopics * 40 + 400);
  const topics = Array.from({ length: nTopics }, (_, t) => vocab.slice(t * 40, t * 40 + 40));
  const noise = vocab.slice(nTopics * 40);
  const docTopic: number[] = [];
  const docWords: string[][] = [];
  const coll: string[] = [];
  for (let i = 0; i < nDocs; i++) {
    const t = i % nTopics;
    const ws = Array.from({ length: 30 + Math.floor(rand() * 30) }, () => (rand() < 0.8 ? pick(topics[t]) : pick(noise)));
    docTopic.push(t);
    docWords.push(ws);
    coll.push(`d${i}\t${ws.slice(0, 5).join(' ')}\t${ws.slice(5).join(' ')}`);
  }
  const queries: string[] = [];
  const rels: string[] = [];
  for (let q = 0; q < nQueries; q++) {
    const d = Math.floor(rand() * nDocs);
    queries.push(`q${q}\t${Array.from({ length: 4 }, () => pick(docWords[d])).join(' ')}`);
    rels.push(`q${q}\td${d}\t2`);
    let other = Math.floor(rand() * nDocs);
    while (docTopic[other] !== docTopic[d] || other === d) other = (other + 1) % nDocs;
    rels.push(`q${q}\td${other}\t1`);
  }
  mkdirSync(dir, { recursive: true });
  const nTrain = Math.floor((nQueries * 2) / 3);
  const lines = (a: string[]) => a.join('\n') + '\n';
  writeFileSync(join(dir, 'collection.tsv'), lines(coll));
  writeFileSync(join(dir, 'train-queries.tsv'), lines(queries.slice(0, nTrain)));
  writeFileSync(join(dir, 'dev-queries.tsv'), lines(queries.slice(nTrain)));
  writeFileSync(join(dir, 'train-rels.tsv'), lines(rels.slice(0, 2 * nTrain)));
  writeFileSync(join(dir, 'dev-rels.tsv'), lines(rels.slice(2 * nTrain)));
}
