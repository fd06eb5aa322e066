//! The limits checked before each turn: `max_turns`, the token budget
//! (which a person may extend), the deadline.

use serde_json::json;

use super::{AgentCore, Progress};
use crate::{AgentError, Ctx, Prompt};

/// A limit the next turn would pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Limit {
    Turns,
    Budget { used: u64, budget: u64 },
}

impl AgentCore {
    /// Refuses the next turn when a limit is reached (asking a person to
    /// extend the budget first, when the agent says so).
    pub(super) fn check_guards<T>(
        &self,
        ctx: &Ctx,
        run: &mut Progress<T>,
    ) -> Result<(), AgentError> {
        if let (Some(limit), Some(started)) = (self.deadline, run.started) {
            let elapsed = ctx.now().duration_since(started).unwrap_or_default();
            if elapsed >= limit {
                return Err(AgentError::Deadline {
                    limit_ms: u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
                });
            }
        }
        match self.limit_reached(run) {
            None => Ok(()),
            Some(Limit::Turns) => Err(AgentError::MaxTurns {
                turns: self.max_turns,
            }),
            Some(Limit::Budget { used, budget }) => {
                let extra = self.budget_tokens.unwrap_or(budget);
                if self.ask_to_extend_budget && self.allowed_more(ctx, used, budget, extra)? {
                    run.budget = Some(budget.saturating_add(extra));
                    return self.check_guards(ctx, run);
                }
                Err(AgentError::Budget { used, budget })
            }
        }
    }

    /// The limit the next turn would pass, by turns and tokens.
    pub(super) fn limit_reached<T>(&self, run: &Progress<T>) -> Option<Limit> {
        if run.turns >= self.max_turns {
            return Some(Limit::Turns);
        }
        let used = u64::from(run.usage.input_tokens) + u64::from(run.usage.output_tokens);
        match run.budget {
            Some(budget) if used >= budget => Some(Limit::Budget { used, budget }),
            _ => None,
        }
    }

    /// Asks a person whether the run may use `extra` more tokens.
    fn allowed_more(
        &self,
        ctx: &Ctx,
        used: u64,
        budget: u64,
        extra: u64,
    ) -> Result<bool, AgentError> {
        let mut prompt = Prompt::approval(format!(
            "Agent `{}` has used {used} tokens, reaching its budget of {budget}. \
             Allow {extra} more?",
            self.name
        ))
        .context(&json!({"agent": self.name, "used": used, "budget": budget, "extra": extra}));
        if let Some(t) = self.approval_timeout {
            prompt = prompt.timeout(t).default("reject");
        }
        let answer = ctx.wait_for_user(prompt).map_err(AgentError::Approval)?;
        Ok(answer.is_approved())
    }
}

#[cfg(test)]
mod tests {
    use super::Limit;
    use crate::Agent;
    use crate::agent::Progress;

    #[test]
    fn limits_are_max_turns_then_the_budget() {
        let a = Agent::new("p/m").max_turns(2).budget_tokens(100);
        let mut run: Progress<String> = Progress::new(&a.core, None, "hi".into());
        assert_eq!(a.core.limit_reached(&run), None);
        run.usage.input_tokens = 60;
        run.usage.output_tokens = 40;
        assert_eq!(
            a.core.limit_reached(&run),
            Some(Limit::Budget {
                used: 100,
                budget: 100
            })
        );
        run.budget = Some(200);
        assert_eq!(a.core.limit_reached(&run), None, "an extended budget");
        run.turns = 2;
        assert_eq!(a.core.limit_reached(&run), Some(Limit::Turns));
    }
}
