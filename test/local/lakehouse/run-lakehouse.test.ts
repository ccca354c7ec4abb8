/** How the run's notes describe the schedules whose state machines the run starts once at its end. */
import { notesWithScheduledRuns, type ScheduledRun } from '../../../local/lakehouse/run-lakehouse';

const merge: ScheduledRun = {
  arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:Merge',
  path: 'Pipeline/CurrentTable/MergeStateMachine',
  input: '{}',
  schedules: ['Pipeline/CurrentTable/MergeSchedule'],
};

test('a schedule the run stands in for is said to start its state machine at the end; other schedules stay "not run"', () => {
  const notes = [
    'Pipeline/CurrentTable/MergeSchedule: scheduled rules are not run locally',
    'Pipeline/Watermarks/Schedule: scheduled rules are not run locally',
    'Pipeline/Other: something else',
  ];
  expect(notesWithScheduledRuns(notes, [merge])).toEqual([
    'Pipeline/CurrentTable/MergeSchedule: the schedule does not fire locally; the run starts Pipeline/CurrentTable/MergeStateMachine once at its end, as the schedule would',
    'Pipeline/Watermarks/Schedule: scheduled rules are not run locally',
    'Pipeline/Other: something else',
  ]);
  expect(notesWithScheduledRuns(notes, [])).toEqual(notes);
});
