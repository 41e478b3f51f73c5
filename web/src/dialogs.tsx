// Modal dialogs on react-aria-components: focus moves in and is trapped,
// Escape closes, and focus returns to what opened the dialog.

import { useEffect, useState, type ReactNode } from "react";
import { Button, Dialog, Heading, Modal, ModalOverlay } from "react-aria-components";
import { t } from "./strings";
import { FormAlert } from "./ui";

interface ModalDialogProps {
  title: string;
  isOpen: boolean;
  onOpenChange: (open: boolean) => void;
  children: ReactNode;
  /** alertdialog for confirmations. */
  role?: "dialog" | "alertdialog";
  /** Wider for lists. */
  wide?: boolean;
  /** Clicking outside closes the dialog (not while a form may hold typed input). */
  isDismissable?: boolean;
}

/**
 * ModalDialog is a modal dialog with a title. Focus moves into it and is
 * trapped there; Escape closes it and focus returns to what opened it.
 */
export function ModalDialog({ title, isOpen, onOpenChange, children, role = "dialog", wide, isDismissable }: ModalDialogProps) {
  return (
    <ModalOverlay className="modal-overlay" isOpen={isOpen} onOpenChange={onOpenChange} isDismissable={isDismissable}>
      <Modal className={wide ? "modal modal-wide" : "modal"}>
        <Dialog className="dialog" role={role}>
          <Heading slot="title" className="dialog-title">
            {title}
          </Heading>
          {children}
        </Dialog>
      </Modal>
    </ModalOverlay>
  );
}

interface ConfirmDialogProps {
  title: string;
  body: ReactNode;
  confirmLabel: string;
  isOpen: boolean;
  onOpenChange: (open: boolean) => void;
  /** Runs the action; a thrown error is shown in the dialog, which stays open. */
  onConfirm: () => Promise<void>;
  danger?: boolean;
  children?: ReactNode;
  displayError: (err: unknown) => string;
}

/** ConfirmDialog asks before an action that cannot be undone and shows the server's refusal. */
export function ConfirmDialog({ title, body, confirmLabel, isOpen, onOpenChange, onConfirm, danger, children, displayError }: ConfirmDialogProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (isOpen) {
      setError(null);
    }
  }, [isOpen]);
  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      onOpenChange(false);
    } catch (err) {
      setError(displayError(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <ModalDialog title={title} isOpen={isOpen} onOpenChange={onOpenChange} role="alertdialog">
      <div className="dialog-body">
        <p>{body}</p>
        {children}
        <FormAlert message={error} />
      </div>
      <div className="dialog-actions">
        <Button className="button" slot="close">
          {t.common.cancel}
        </Button>
        <Button className={danger ? "button danger" : "button primary"} onPress={() => void confirm()} isPending={busy}>
          {confirmLabel}
        </Button>
      </div>
    </ModalDialog>
  );
}

