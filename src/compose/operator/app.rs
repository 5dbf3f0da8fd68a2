//! The load balancer and the Auto Scaling groups: named after the deployment, and tagged with it.

use serde_json::Value;

use super::{allow, Scope};
use crate::model::names;

pub fn statements(scope: &Scope) -> Vec<Value> {
    let d = scope.deployment();
    let lb_name = names::load_balancer::load_balancer_name(d);
    // Each node group's target group and Auto Scaling group are named `<deployment>-<group>`; a canary
    // rollout's, `<deployment>-canary`.
    let mut group_names: Vec<String> = scope.topology.groups.iter().map(|g| names::app::aws_name(d, &g.name)).collect();
    group_names.push(names::app::canary_name(d));
    let target_groups = &group_names;
    let elb = |resource: String| scope.arn("elasticloadbalancing", &resource);
    let mut elb_resources = vec![
        elb(format!("loadbalancer/app/{lb_name}/*")),
        elb(format!("listener/app/{lb_name}/*")),
        elb(format!("listener-rule/app/{lb_name}/*")),
    ];
    elb_resources.extend(target_groups.iter().map(|tg| elb(format!("targetgroup/{tg}/*"))));
    let groups: Vec<String> = group_names
        .iter()
        .map(|g| scope.arn("autoscaling", &format!("autoScalingGroup:*:autoScalingGroupName/{g}")))
        .collect();
    vec![
        // Creates carry the deployment's tag (and AddTags is authorised for the tags of a create).
        allow(
            "LoadBalancerCreateTagged",
            &[
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:CreateLoadBalancer",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:CreateTargetGroup",
            ],
            elb_resources.clone(),
            Some(scope.tagged_on_create()),
        ),
        allow(
            "LoadBalancerChangeOwn",
            &[
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:DeleteRule",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:RemoveTags",
                "elasticloadbalancing:SetRulePriorities",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
            ],
            elb_resources,
            Some(scope.owned()),
        ),
        allow(
            "AutoScalingCreateTagged",
            &["autoscaling:CreateAutoScalingGroup", "autoscaling:CreateOrUpdateTags"],
            groups.clone(),
            Some(scope.tagged_on_create()),
        ),
        allow(
            "AutoScalingChangeOwn",
            &[
                "autoscaling:AttachLoadBalancerTargetGroups",
                "autoscaling:CreateOrUpdateTags",
                "autoscaling:DeleteAutoScalingGroup",
                "autoscaling:DeletePolicy",
                "autoscaling:DeleteTags",
                "autoscaling:DetachLoadBalancerTargetGroups",
                // The group metrics the at-max-capacity alarm reads (`alerts:`).
                "autoscaling:EnableMetricsCollection",
                "autoscaling:PutScalingPolicy",
                "autoscaling:StartInstanceRefresh",
                "autoscaling:UpdateAutoScalingGroup",
            ],
            groups,
            Some(scope.owned()),
        ),
    ]
}
