//! The canary's share of traffic at each step (`--canary 10,50,100`), and where a rollout that was
//! stopped part-way resumes.

use std::fmt;
use std::str::FromStr;

/// Rising shares of traffic in percent, the last one 100: checked before anything is sent to AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Steps(Vec<u32>);

impl Steps {
    pub fn as_slice(&self) -> &[u32] {
        &self.0
    }

    /// The index of the step a rollout resumes at when the canary now gets `current` percent of the
    /// traffic: the step at that share (watched again in full: how long it was watched before the
    /// interruption is not recorded anywhere), or the first one above it when the list has no such step
    /// (it was changed between the runs). A canary that gets nothing yet starts at the first step.
    pub fn resume_at(&self, current: u32) -> usize {
        if current == 0 {
            return 0;
        }
        // The last step is 100 and no share is above it, so there is always one.
        self.0.iter().position(|&step| step >= current).unwrap_or(self.0.len() - 1)
    }
}

impl FromStr for Steps {
    type Err = String;

    fn from_str(text: &str) -> Result<Steps, String> {
        let hint = "expected rising percentages ending at 100, e.g. 10,50,100";
        if text.trim().is_empty() {
            return Err(format!("no steps given; {hint}"));
        }
        let mut steps: Vec<u32> = Vec::new();
        for item in text.split(',') {
            let item = item.trim();
            let step: u32 = match item.parse() {
                Ok(n) if (1..=100).contains(&n) => n,
                Ok(n) => return Err(format!("step {n} is not a share of traffic from 1 to 100; {hint}")),
                Err(_) if item.is_empty() => return Err(format!("an empty step in `{text}`; {hint}")),
                Err(_) => return Err(format!("`{item}` is not a whole percentage; {hint}")),
            };
            if let Some(&before) = steps.last() {
                if step <= before {
                    return Err(format!("steps must rise: {step} comes after {before}; {hint}"));
                }
            }
            steps.push(step);
        }
        if steps.last() != Some(&100) {
            return Err(format!(
                "the last step must be 100, so that the new version carries all the traffic before the old one goes; {hint}"
            ));
        }
        Ok(Steps(steps))
    }
}

impl fmt::Display for Steps {
    /// `10% -> 50% -> 100%`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|s| format!("{s}%")).collect();
        f.write_str(&parts.join(" -> "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(text: &str) -> Result<Vec<u32>, String> {
        text.parse::<Steps>().map(|s| s.0)
    }

    #[test]
    fn rising_percentages_ending_at_100_are_steps() {
        assert_eq!(steps("10,50,100"), Ok(vec![10, 50, 100]));
        assert_eq!(steps(" 25 , 100 "), Ok(vec![25, 100]));
        assert_eq!(steps("100"), Ok(vec![100]));
        assert_eq!(steps("10,50,100").map(|_| "ok"), Ok("ok"));
        assert_eq!("1,2,100".parse::<Steps>().map(|s| s.to_string()), Ok("1% -> 2% -> 100%".to_owned()));
    }

    #[test]
    fn anything_else_is_refused_with_what_is_wrong() {
        let err = |text: &str| steps(text).expect_err(text);
        assert!(err("10,50").contains("the last step must be 100"), "{}", err("10,50"));
        assert!(err("50,10,100").contains("steps must rise: 10 comes after 50"), "{}", err("50,10,100"));
        assert!(err("50,50,100").contains("steps must rise: 50 comes after 50"));
        assert!(err("0,100").contains("step 0 is not a share of traffic from 1 to 100"));
        assert!(err("10,150").contains("step 150 is not a share"));
        assert!(err("ten,100").contains("`ten` is not a whole percentage"));
        assert!(err("10.5,100").contains("`10.5` is not a whole percentage"));
        assert!(err("-5,100").contains("`-5` is not a whole percentage"));
        assert!(err("10,,100").contains("an empty step"));
        assert!(err("").contains("no steps given"));
        assert!(err("10,50").contains("e.g. 10,50,100"));
    }

    #[test]
    fn a_rollout_resumes_at_the_step_its_canary_had_reached() {
        let s: Steps = "10,50,100".parse().expect("steps");
        assert_eq!(s.resume_at(0), 0, "nothing sent to the canary yet: from the start");
        assert_eq!(s.resume_at(10), 0, "at 10%: 10% is watched again");
        assert_eq!(s.resume_at(50), 1);
        assert_eq!(s.resume_at(100), 2, "at 100%: the last step is watched again, then the rollout ends");
        // The list changed between the runs: the next step above the canary's share.
        assert_eq!(s.resume_at(30), 1);
        assert_eq!(s.resume_at(5), 0);
        let one: Steps = "100".parse().expect("steps");
        assert_eq!(one.resume_at(40), 0);
    }
}
