// Medical signals (PHI = personal data + health context): a small lexicon of clinical words.
// Personal data found next to one of them makes the request `phi`, not `pii`. Stand-in until the
// request features' registry-defined domain lexicons (understanding/) are on the request path:
// then `features.domains.medical` can take this one's place.
const MEDICAL =
  /\b(?:patients?|diagnos[a-z]*|prognosis|prescri(?:bed|ption)s?|medications?|dosage|symptoms?|clinic(?:al)?|hospital(?:ised|ized)?|physician|oncolog[a-z]*|chemotherapy|radiotherapy|tumou?rs?|carcinoma|cancer|diabet(?:es|ic)|insulin|hypertension|asthma|hiv|hepatitis|pregnan(?:t|cy)|surgery|surgical|biopsy|allerg(?:y|ies|ic)|icd-?10|mri|ct scan|blood (?:pressure|test|sugar)|cholesterol|antibiotics?|vaccinat[a-z]*|psychiatr[a-z]*|depression|medical (?:record|history)|health (?:record|insurance)|discharge summary|admitted to)\b/i;

/** True when the text reads as medical (one lexicon word suffices: PHI errs on the strict side). */
export function hasMedicalSignal(text: string): boolean {
  return MEDICAL.test(text);
}
