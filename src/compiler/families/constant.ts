import { majority, supportComment, type Example, type Learner, type Model } from "./model.js";

/** Always the most common answer: the baseline every other family has to beat. */
export const constantLearner: Learner = {
  family: "constant",
  variant: "constant",
  fit(examples) {
    const { label, count } = majority(examples.map((example) => example.label));
    return constantModel(label, count, examples.length);
  },
};

export function constantModel(label: string, count: number, total: number): Model {
  return {
    family: "constant",
    complexity: 1,
    predict: () => label,
    emit: () => ({
      summary: "always the most common answer",
      body: [`return ${label}; ${supportComment(count, total)} gave this answer`],
      declarations: [],
      helpers: [],
    }),
  };
}

