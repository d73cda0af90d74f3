"""Wrong-but-plausible answers for 08_transfer: each must score 0 on its item.

A key is ``"<grade_id of the solution cell>:<short name>"`` so that one cell can have
several classic mistakes; ``cell`` repeats that grade_id, ``tests`` is the grade_id of the
graded test cell that must fail, ``why`` says what the mistake is, ``source`` is the whole
replacement cell.
"""

# ruff: noqa: E501 - each source repeats the solution cell's signature line verbatim

WRONG_ANSWERS = {
    "q1_train_new_head:not_frozen": {
        "cell": "q1_train_new_head",
        "tests": "q1_tests",
        "why": "never freezes the backbone and optimizes every parameter: fine-tuning, not a new head on fixed features",
        "source": '''def train_new_head(backbone_state, X, y, num_classes, num_steps, lr, seed):
    """Load and freeze the backbone, add a new linear head, train only the head; return the model."""
    h, d = backbone_state["0.weight"].shape
    backbone = nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU())
    backbone.load_state_dict(backbone_state)
    torch.manual_seed(seed)
    head = nn.Linear(h, num_classes)
    model = nn.Sequential(backbone, head)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(num_steps):
        loss = torch.nn.functional.cross_entropy(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model
''',
    },
    "q1_train_new_head:random_backbone": {
        "cell": "q1_train_new_head",
        "tests": "q1_tests",
        "why": "freezes a randomly initialised backbone: forgets to load the pre-trained weights",
        "source": '''def train_new_head(backbone_state, X, y, num_classes, num_steps, lr, seed):
    """Load and freeze the backbone, add a new linear head, train only the head; return the model."""
    h, d = backbone_state["0.weight"].shape
    backbone = nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU())
    for parameter in backbone.parameters():
        parameter.requires_grad_(False)
    torch.manual_seed(seed)
    head = nn.Linear(h, num_classes)
    model = nn.Sequential(backbone, head)
    optimizer = torch.optim.SGD(head.parameters(), lr=lr)
    for _ in range(num_steps):
        loss = torch.nn.functional.cross_entropy(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model
''',
    },
    "q2_distillation:no_T_squared": {
        "cell": "q2_distillation",
        "tests": "q2_tests",
        "why": "omits the T² factor: the soft term's gradient shrinks as 1/T² and its weight against the hard term depends on T",
        "source": '''def distillation_loss(student_logits, teacher_logits, targets, T, alpha):
    """alpha * T^2 * KL(q_teacher_T || q_student_T) + (1 - alpha) * CE(student, targets), batch means."""
    teacher_logits = teacher_logits.detach()
    log_q_student = torch.log_softmax(student_logits / T, dim=1)
    log_q_teacher = torch.log_softmax(teacher_logits / T, dim=1)
    kl = (log_q_teacher.exp() * (log_q_teacher - log_q_student)).sum(dim=1).mean()
    hard = -torch.log_softmax(student_logits, dim=1)[torch.arange(len(targets)), targets].mean()
    return alpha * kl + (1 - alpha) * hard
''',
    },
    "q2_distillation:kl_div_mean": {
        "cell": "q2_distillation",
        "tests": "q2_tests",
        "why": "F.kl_div with reduction='mean' divides by N·K instead of N",
        "source": '''def distillation_loss(student_logits, teacher_logits, targets, T, alpha):
    """alpha * T^2 * KL(q_teacher_T || q_student_T) + (1 - alpha) * CE(student, targets), batch means."""
    teacher_logits = teacher_logits.detach()
    kl = torch.nn.functional.kl_div(torch.log_softmax(student_logits / T, dim=1),
                                    torch.softmax(teacher_logits / T, dim=1), reduction="mean")
    hard = torch.nn.functional.cross_entropy(student_logits, targets)
    return alpha * T**2 * kl + (1 - alpha) * hard
''',
    },
    "q3_grad_reverse:flips_forward": {
        "cell": "q3_grad_reverse",
        "tests": "q3_tests",
        "why": "reverses the value instead of the gradient: the forward pass returns -lambda x",
        "source": '''class GradReverse(torch.autograd.Function):
    """R_lambda: the identity forward, the gradient times -lambda backward."""

    @staticmethod
    def forward(ctx, x, lambd):
        ctx.lambd = lambd
        return -lambd * x

    @staticmethod
    def backward(ctx, grad_output):
        return -ctx.lambd * grad_output, None


def grad_reverse(x, lambd):
    """R_lambda(x)."""
    return GradReverse.apply(x, lambd)
''',
    },
    "q3_grad_reverse:no_lambda": {
        "cell": "q3_grad_reverse",
        "tests": "q3_tests",
        "why": "flips the sign of the gradient but forgets to scale it by lambda",
        "source": '''class GradReverse(torch.autograd.Function):
    """R_lambda: the identity forward, the gradient times -lambda backward."""

    @staticmethod
    def forward(ctx, x, lambd):
        ctx.lambd = lambd
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return -grad_output, None


def grad_reverse(x, lambd):
    """R_lambda(x)."""
    return GradReverse.apply(x, lambd)
''',
    },
}
